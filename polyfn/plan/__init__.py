"""``polyfn plan``: lock-in scan, trigger map, limits and cost model for moves between clouds.

``planner.build_plan`` puts the parts together; ``report_md``, ``report_json`` and
``report_html`` render the result. Prices live in ``prices.json`` and trigger facts in
``triggers.json`` (package data, read with importlib.resources).
"""
