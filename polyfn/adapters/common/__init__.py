"""What every adapter shares, written once: the rules that must not differ between clouds.

Header and cookie splitting, the SDK client cache, choosing the backends to bind, the
cold-start flag, the deployment's environment (the pinned function, the timeout),
error mapping and bounded retries. A cloud adapter imports from here, never from
another cloud's adapter.
"""
