"""Who may call a route, as serverless.yml or a SAM template says it, in polyfn's terms.

Each way the file closes a route becomes the polyfn auth closest to it:

- a Lambda authorizer (a REST API's TOKEN or REQUEST one, an HTTP API's REQUEST one)
  becomes an ``ImportedAuthorizer``, written as an ``@app.authorizer``, and the routes
  name it;
- an HTTP API JWT authorizer becomes ``JWT(issuer, audience, scopes)``;
- ``AWS_IAM`` / ``aws_iam`` and ``private: true`` become ``"platform-key"``;
- a Cognito user pool authorizer keeps the route closed as ``"platform-key"``, with a note
  giving the ``JWT(...)`` that replaces it (its audience, the app client id, is not in the
  file);
- SAM's ``NONE`` opens a route that its API's default authorizer would close.

An authorizer polyfn cannot read (a number, a list, a name nothing declares, one shared
from outside the file) keeps its routes closed as ``"platform-key"`` with a note saying
so: a route is never opened because its authorizer could not be read. The readers run
before the importers' function loops, so ``new_function`` can tell an authorizer's Lambda
(``ImportedAuthorizer.function``) from a function nothing feeds.

Defaults, as the tools that read these files apply them:

- serverless.yml, REST ``http`` events: ``resultTtlInSeconds`` 300, ``identitySource``
  ``method.request.header.Authorization`` (none for a REQUEST authorizer with TTL 0),
  ``type`` TOKEN; a string is ``aws_iam``, a function's name or an ARN (Serverless
  Framework source, lib/plugins/aws/package/compile/events/api-gateway/lib/validate.js
  ``getAuthorizer`` and authorizers.js; read 2026-12-05). A string authorizer writes no
  TTL, and API Gateway's is then 300 (API Gateway API reference, "Authorizer",
  ``authorizerResultTtlInSeconds``; read 2026-12-05).
- serverless.yml, ``provider.httpApi.authorizers`` of ``type: request``: no identity
  source, ``payloadVersion`` 2.0, ``enableSimpleResponses`` false, and
  ``resultTtlInSeconds`` written only when set (Serverless Framework docs
  docs/providers/aws/events/http-api.md, "Lambda (Request) Authorizers", and
  lib/plugins/aws/package/compile/events/http-api.js; read 2026-12-05). An HTTP API
  caches a Lambda authorizer's answers when a TTL is specified (API Gateway Developer
  Guide, "Working with AWS Lambda authorizers for HTTP APIs", "Caching authorizer
  responses"; read 2026-12-05), so none is taken as 0. Not confirmed: the current
  ApiGatewayV2 reference states no default, and an older one said 300.
- SAM ``AWS::Serverless::Api``: ``FunctionPayloadType`` TOKEN, ``Identity.Header``
  Authorization, ``ReauthorizeEvery`` 300 for TOKEN and REQUEST alike (AWS SAM docs,
  "LambdaTokenAuthorizer", "LambdaTokenAuthorizationIdentity" and
  "LambdaRequestAuthorizationIdentity"; samtranslator/model/apigateway.py; read
  2026-12-05).
- SAM ``AWS::Serverless::HttpApi``: ``ReauthorizeEvery`` has no documented default and SAM
  writes no TTL without it (AWS SAM docs, "LambdaAuthorizationIdentity";
  samtranslator/model/apigatewayv2.py; read 2026-12-05): 0, as above. ``JwtConfiguration``
  keys may be capitalized or not (SAM lower-cases them).
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from polyfn.plan.import_model import (
    AuthorizerRef,
    AuthSpec,
    ImportedApp,
    ImportedAuthorizer,
    ImportedJWT,
    python_name,
)
from polyfn.plan.import_resources import as_mapping, ref_id

__all__ = ["FunctionOf", "SamAuth", "ServerlessAuth", "identity_source"]

# The function of the file a value names (a function key, an ARN, !GetAtt X.Arn), or None.
FunctionOf = Callable[[Any], "str | None"]

REST_TTL = 300
REST_IDENTITY = "method.request.header.Authorization"
HTTP_API_TTL = 0
SAM_API_TTL = 300
SAM_HTTP_API_TTL = 0
MAX_TTL = 3600  # API Gateway's maximum for both kinds of API

CLOSED = "polyfn keeps the route closed (auth='platform-key'); declare its auth in the scaffold"

_HEADER = re.compile(r"(?:method\.request|\$request)\.header\.([^\s,]+)")
_QUERY = re.compile(r"(?:method\.request|\$request)\.querystring\.([^\s,]+)")
_USER_POOL = re.compile(r"arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):[0-9]*:userpool/([\w-]+)")


def identity_source(raw: str) -> str | None:
    """polyfn's ``header:<name>`` / ``query:<name>`` for an API Gateway identity source
    (``method.request.header.X``, ``$request.querystring.X``), or None where polyfn has
    none (a context or stage variable, a multi-value header)."""
    text = raw.strip()
    if match := _HEADER.fullmatch(text):
        return f"header:{match.group(1).lower()}"  # header names are case-insensitive
    if match := _QUERY.fullmatch(text):
        return f"query:{match.group(1)}"
    return None


@dataclass(frozen=True)
class _Closed:
    """A closure polyfn cannot carry as it is: its routes keep ``"platform-key"``."""

    text: str


@dataclass(frozen=True)
class _Lambda:
    """A Lambda authorizer as the file gives it, before polyfn names it."""

    label: str  # the file's name for the authorizer
    origin: str  # where the file declares it
    target: Any  # what names its Lambda: a function key, an ARN, !GetAtt X.Arn
    ttl: int
    sources: tuple[str, ...]  # identity sources as API Gateway writes them
    token: bool  # a REST API TOKEN authorizer
    answer: Literal["policy", "simple"]  # an IAM policy, or {isAuthorized, context}
    gateway: str  # "REST API" | "HTTP API"
    unread: tuple[str, ...] = ()  # settings polyfn does not carry, as notes


_Definition = AuthSpec | _Closed


class _Reader:
    """What both formats share: naming and declaring an authorizer, resolving a route's."""

    def __init__(
        self,
        imported: ImportedApp,
        functions: Mapping[str, tuple[str, bool]],
        function_of: FunctionOf,
    ) -> None:
        self.imported = imported
        # the file's name of each function -> (its polyfn name, whether it has events)
        self.functions = functions
        self.function_of = function_of

    def resolve(self, fn_name: str, where: str, found: _Definition) -> AuthSpec:
        """The route's auth; a closure polyfn cannot carry is noted on the route."""
        if isinstance(found, _Closed):
            self.imported.note_once(fn_name, "change", f"route {where}: {found.text}")
            return "platform-key"
        return found

    def declare(self, found: _Lambda) -> AuthorizerRef:
        key = self.function_of(found.target)
        plain = isinstance(found.target, str) and ":" not in found.target
        name = self._name(found.label, key)
        identity, ttl = self._identity(name, found)
        authorizer = ImportedAuthorizer(
            name=name,
            origin=found.origin,
            source=key if key is not None else _text(found.target),
            external=key is None and not plain,
            ttl=ttl,
            identity=identity,
            token=found.token,
        )
        self.imported.authorizers[name] = authorizer
        if key is None and plain:
            self.imported.note(
                name,
                "change",
                f"{found.origin} names the function {found.target!r}, which the file does not "
                "define: the scaffold's authorizer denies every request until its check is "
                "ported",
            )
        self._explain(authorizer, found)
        return AuthorizerRef(name)

    def _name(self, label: str, own: str | None) -> str:
        """A Python name no function of the file has (its own Lambda's, if eventless)."""
        taken = {name for key, (name, events) in self.functions.items() if key != own or events}
        taken |= set(self.imported.authorizers) | {"app"}
        base = python_name(label)
        if base in taken or keyword.iskeyword(base):
            base = f"{base}_authorizer"
        name, counter = base, 2
        while name in taken:
            name, counter = f"{base}_{counter}", counter + 1
        return name

    def _identity(self, name: str, found: _Lambda) -> tuple[tuple[str, ...], int]:
        carried: list[str] = []
        for raw in found.sources:
            source = identity_source(raw)
            if source is None:
                self.imported.note(
                    name,
                    "change",
                    f"identity source {raw!r} not carried: polyfn reads identity sources from "
                    "headers and the query string only; read it in the authorizer if it matters",
                )
            elif source not in carried:
                carried.append(source)
        ttl = found.ttl
        if ttl and not carried:
            self.imported.note(
                name,
                "change",
                f"no identity source polyfn can read, so its answers are not cached (ttl=0, "
                f"was {ttl} s): polyfn keys its cache on the identity sources",
            )
            ttl = 0
        return tuple(carried), ttl

    def _explain(self, authorizer: ImportedAuthorizer, found: _Lambda) -> None:
        what = "a TOKEN" if found.token else "a REQUEST"
        cached = f"cached {authorizer.ttl} s" if authorizer.ttl else "not cached"
        on = f" per {', '.join(authorizer.identity)}" if authorizer.ttl else ""
        self.imported.note(
            authorizer.name,
            "info",
            f"{found.origin}: {what} Lambda authorizer of the {found.gateway} becomes "
            f"@app.authorizer {authorizer.name} ({cached}{on}); deployed by polyfn to AWS it "
            "is a Lambda REQUEST authorizer in front of the routes, elsewhere it runs "
            "in-process before the handler with the same cache",
        )
        if found.token:
            header = authorizer.identity[0].partition(":")[2] if authorizer.identity else ""
            given = f'; the token is request.headers["{header}"]' if header else ""
            asked = f"an AuthRequest (headers, query, path, source IP{given})"
        else:
            asked = "an AuthRequest (headers, query, path, source IP)"
        answered = (
            "its {isAuthorized, context} answer" if found.answer == "simple" else "its IAM policy"
        )
        self.imported.note(
            authorizer.name,
            "change",
            f"port the check: it gets {asked} and returns Allow(subject, context=...) or "
            f"Deny(reason) in place of {answered}; the context carries over and the handler "
            "reads it as req.identity.claims",
        )
        for text in found.unread:
            self.imported.note(authorizer.name, "change", text)


# ----------------------------------------------------------------------------- serverless


class ServerlessAuth(_Reader):
    """The authorizers of a serverless.yml (variables resolved), read before its functions:
    ``provider.httpApi.authorizers`` and each REST ``http`` event's ``authorizer``."""

    def __init__(
        self,
        imported: ImportedApp,
        document: Mapping[str, Any],
        functions: Mapping[str, tuple[str, bool]],
        function_of: FunctionOf,
    ) -> None:
        super().__init__(imported, functions, function_of)
        self.http_api: dict[str, _Definition] = {}
        self.rest: dict[str, tuple[_Lambda, AuthorizerRef]] = {}  # by the Framework's name
        provider_http_api = as_mapping(as_mapping(document.get("provider")).get("httpApi"))
        configured = provider_http_api.get("authorizers")
        if configured is not None and not isinstance(configured, Mapping):
            imported.note(
                "",
                "change",
                "provider.httpApi.authorizers is not a mapping: not read, so the routes that "
                f"name an authorizer stay closed; {CLOSED}",
            )
        for label, config in as_mapping(configured).items():
            self.http_api[str(label)] = self._http_api_authorizer(str(label), config)
        for key, spec in as_mapping(document.get("functions")).items():
            events = as_mapping(spec).get("events")
            for event in events if isinstance(events, list) else []:
                body = as_mapping(event).get("http")
                value = as_mapping(body).get("authorizer")
                if not _absent(value):
                    found = self._rest(value, f"functions.{key}")
                    if isinstance(found, _Lambda):
                        self._declare_rest(found)

    def route_auth(self, fn_name: str, kind: str, body: Mapping[str, Any], where: str) -> AuthSpec:
        """The auth of one ``http`` / ``httpApi`` event of ``fn_name``."""
        value = body.get("authorizer")
        if kind == "httpApi":
            return "anonymous" if _absent(value) else self._http_api_route(fn_name, value, where)
        private = bool(body.get("private"))
        if _absent(value):
            return "platform-key" if private else "anonymous"
        found = self._rest(value, f"the route {where}")
        if isinstance(found, _Lambda):  # declared by the pre-scan, under the same name
            known = self.rest.get(found.label)
            found = known[1] if known is not None else self._declare_rest(found)
        spec = self.resolve(fn_name, where, found)
        if private and spec != "platform-key":
            self.imported.note_once(
                fn_name,
                "change",
                f"route {where}: private: true (an API key) is not carried beside its "
                "authorizer; the authorizer alone guards the route",
            )
        return spec

    def _declare_rest(self, found: _Lambda) -> AuthorizerRef:
        """One authorizer per name, as the Framework compiles one resource per name."""
        known = self.rest.get(found.label)
        if known is None:
            ref = self.declare(found)
            self.rest[found.label] = (found, ref)
            return ref
        first, ref = known
        if (first.target, first.ttl, first.sources, first.token) != (
            found.target,
            found.ttl,
            found.sources,
            found.token,
        ):
            self.imported.note_once(
                ref.name,
                "change",
                f"authorizer {found.label!r} is declared with different settings on several "
                f"routes ({first.origin}, {found.origin}): polyfn keeps the first",
            )
        return ref

    def _rest(self, value: Any, where: str) -> _Lambda | _Definition:
        """A REST ``http`` event's ``authorizer``, read as validate.js ``getAuthorizer`` does."""
        if isinstance(value, str):
            text = value.strip()
            if text.upper() == "AWS_IAM":
                return "platform-key"
            config: Mapping[str, Any] = {"arn": text} if ":" in text else {"name": text}
        elif isinstance(value, Mapping):
            config = value
        else:
            return _Closed(
                f"its authorizer {_text(value)} is neither a name, an ARN nor a mapping: {CLOSED}"
            )
        kind = str(config.get("type") or "").upper()
        if config.get("authorizerId") is not None:
            return _shared(config["authorizerId"])
        if kind == "AWS_IAM":
            return "platform-key"
        arn = config.get("arn")
        if kind == "COGNITO_USER_POOLS" or (isinstance(arn, str) and ":cognito-idp:" in arn):
            return _cognito(arn)
        name = config.get("name")
        if arn is not None and not (isinstance(arn, str) and not arn.strip()):
            target: Any = arn
            label = name.strip() if isinstance(name, str) and name.strip() else _arn_label(arn)
        elif isinstance(name, str) and name.strip():
            target = label = name.strip()
        else:
            return _Closed(f"its authorizer has neither a name nor an arn: {CLOSED}")
        if kind not in ("", "TOKEN", "REQUEST"):
            return _Closed(f"its authorizer's type {kind} is not one API Gateway has: {CLOSED}")
        token = kind != "REQUEST"
        ttl = _ttl(config.get("resultTtlInSeconds"), REST_TTL)
        raw = config.get("identitySource")
        if raw is None or raw == "":
            sources: tuple[str, ...] = () if not token and ttl == 0 else (REST_IDENTITY,)
        else:
            sources = _source_texts(raw)
        check = config.get("identityValidationExpression")
        unread = (
            (
                f"identityValidationExpression {_text(check)} not carried: check the token's "
                "shape in the authorizer",
            )
            if check
            else ()
        )
        return _Lambda(label, where, target, ttl, sources, token, "policy", "REST API", unread)

    def _http_api_authorizer(self, label: str, config: Any) -> _Definition:
        origin = f"provider.httpApi.authorizers.{label}"
        if not isinstance(config, Mapping):
            return _Closed(f"{origin} is not a mapping: {CLOSED}")
        kind = str(config.get("type") or "").lower()
        if kind == "request":
            target = config.get("functionName")
            if target is None:
                target = config.get("functionArn")
            if target is None or (isinstance(target, str) and not target.strip()):
                return _Closed(f"{origin} has neither functionName nor functionArn: {CLOSED}")
            simple = config.get("enableSimpleResponses") is True
            found = _Lambda(
                label,
                origin,
                target.strip() if isinstance(target, str) else target,
                _ttl(config.get("resultTtlInSeconds"), HTTP_API_TTL),
                _source_texts(config.get("identitySource")),
                False,
                "simple" if simple else "policy",
                "HTTP API",
            )
            return self.declare(found)
        if kind == "jwt" or (not kind and "issuerUrl" in config):
            return _jwt(
                origin,
                config.get("issuerUrl"),
                config.get("audience"),
                (),
                self,
                config.get("identitySource"),
            )
        return _Closed(
            f"{origin} has type {kind or '(none)'}, which polyfn does not read: {CLOSED}"
        )

    def _http_api_route(self, fn_name: str, value: Any, where: str) -> AuthSpec:
        scopes: Any = None
        if isinstance(value, str):
            name: Any = value.strip()
        elif isinstance(value, Mapping):
            if str(value.get("type") or "").lower() == "aws_iam":
                return "platform-key"
            if value.get("id") is not None:
                return self.resolve(fn_name, where, _shared(value["id"]))
            name, scopes = value.get("name"), value.get("scopes")
        else:
            name = None
        if not isinstance(name, str) or not name:
            return self.resolve(
                fn_name,
                where,
                _Closed(f"its authorizer {_text(value)} names no authorizer: {CLOSED}"),
            )
        declared = self.http_api.get(name)
        if declared is None:
            declared = _Closed(
                f"its authorizer {name!r} is not in provider.httpApi.authorizers: {CLOSED}"
            )
        if isinstance(declared, ImportedJWT):
            return replace(declared, scopes=_strings(scopes) or ())
        return self.resolve(fn_name, where, declared)


# ----------------------------------------------------------------------------- SAM

_SAM_APIS = {"AWS::Serverless::Api": "Api", "AWS::Serverless::HttpApi": "HttpApi"}


class SamAuth(_Reader):
    """The authorizers of a SAM template's APIs and of ``Globals.Api`` / ``Globals.HttpApi``,
    read before its functions; ``route_auth`` gives an ``Api`` / ``HttpApi`` event's."""

    def __init__(
        self,
        imported: ImportedApp,
        document: Mapping[str, Any],
        functions: Mapping[str, tuple[str, bool]],
        function_of: FunctionOf,
    ) -> None:
        super().__init__(imported, functions, function_of)
        # (API kind, the API's logical id or None for Globals) -> name -> definition
        self.defined: dict[tuple[str, str | None], dict[str, _Definition]] = {}
        self.defaults: dict[tuple[str, str | None], Any] = {}
        sections = as_mapping(document.get("Globals"))
        for section in ("Api", "HttpApi"):
            auth = as_mapping(as_mapping(sections.get(section)).get("Auth"))
            self._read(section, None, auth, f"Globals.{section}.Auth")
        for logical_id, resource in as_mapping(document.get("Resources")).items():
            kind = _SAM_APIS.get(str(as_mapping(resource).get("Type")))
            if kind is not None:
                auth = as_mapping(as_mapping(as_mapping(resource).get("Properties")).get("Auth"))
                self._read(kind, str(logical_id), auth, f"Resources.{logical_id}.Properties.Auth")

    def route_auth(self, fn_name: str, kind: str, props: Mapping[str, Any], where: str) -> AuthSpec:
        """The auth of one ``Api`` / ``HttpApi`` event: its ``Auth.Authorizer``, else its
        API's ``DefaultAuthorizer``, else the ``Globals`` one (AWS SAM docs, "ApiAuth",
        "HttpApiAuth" and "Globals section of the AWS SAM template")."""
        auth = as_mapping(props.get("Auth"))
        api_value = props.get("RestApiId" if kind == "Api" else "ApiId")
        api = ref_id(api_value) if isinstance(api_value, Mapping) else None
        scopes = [(kind, api), (kind, None)] if api is not None else [(kind, None)]
        name = auth.get("Authorizer")
        if _absent(name):
            name = next(
                (self.defaults[s] for s in scopes if not _absent(self.defaults.get(s))), None
            )
        if _absent(name) or name == "NONE":
            return "anonymous"
        if name == "AWS_IAM":
            return "platform-key"
        if not isinstance(name, str):
            return self.resolve(
                fn_name, where, _Closed(f"its authorizer {_text(name)} is not a name: {CLOSED}")
            )
        declared = next(
            (self.defined[s][name] for s in scopes if name in self.defined.get(s, {})), None
        )
        if declared is None:
            declared = _Closed(f"its authorizer {name!r} is not one its API declares: {CLOSED}")
        if isinstance(declared, ImportedJWT):
            scoped = _strings(auth.get("AuthorizationScopes"))
            return declared if scoped is None else replace(declared, scopes=scoped)
        return self.resolve(fn_name, where, declared)

    def _read(self, kind: str, api: str | None, auth: Mapping[str, Any], origin: str) -> None:
        self.defaults[(kind, api)] = auth.get("DefaultAuthorizer")
        authorizers = auth.get("Authorizers")
        if authorizers is None:
            return
        if not isinstance(authorizers, Mapping):
            self.imported.note(
                "",
                "change",
                f"{origin}.Authorizers is not a mapping: not read, so the routes that name one "
                f"of its authorizers stay closed; {CLOSED}",
            )
            return
        table = self.defined.setdefault((kind, api), {})
        for label, config in authorizers.items():
            where = f"{origin}.Authorizers.{label}"
            if not isinstance(config, Mapping):
                table[str(label)] = _Closed(f"{where} is not a mapping: {CLOSED}")
            elif kind == "HttpApi":
                table[str(label)] = self._http_api(str(label), config, where)
            else:
                table[str(label)] = self._rest_api(str(label), config, where)

    def _http_api(self, label: str, config: Mapping[str, Any], origin: str) -> _Definition:
        jwt = config.get("JwtConfiguration")
        if jwt is not None:
            lowered = {str(k).lower(): v for k, v in as_mapping(jwt).items()}
            scopes = _strings(config.get("AuthorizationScopes")) or ()
            return _jwt(
                origin,
                lowered.get("issuer"),
                lowered.get("audience"),
                scopes,
                self,
                config.get("IdentitySource"),
            )
        if config.get("FunctionArn") is None:
            return _Closed(f"{origin} has neither JwtConfiguration nor FunctionArn: {CLOSED}")
        identity = as_mapping(config.get("Identity"))
        found = _Lambda(
            label,
            origin,
            config["FunctionArn"],
            _ttl(identity.get("ReauthorizeEvery"), SAM_HTTP_API_TTL),
            _identity_lists(identity, "$request.header.", "$request.querystring.", "$"),
            False,
            "simple" if config.get("EnableSimpleResponses") is True else "policy",
            "HTTP API",
        )
        return self.declare(found)

    def _rest_api(self, label: str, config: Mapping[str, Any], origin: str) -> _Definition:
        if config.get("UserPoolArn") is not None:
            return _cognito(config["UserPoolArn"])
        if config.get("FunctionArn") is None:
            return _Closed(f"{origin} has neither FunctionArn nor UserPoolArn: {CLOSED}")
        payload = str(config.get("FunctionPayloadType") or "TOKEN").upper()
        identity = as_mapping(config.get("Identity"))
        ttl = _ttl(identity.get("ReauthorizeEvery"), SAM_API_TTL)
        unread: tuple[str, ...] = ()
        if payload == "REQUEST":
            sources = _identity_lists(
                identity, "method.request.header.", "method.request.querystring.", ""
            )
        elif payload == "TOKEN":
            header = identity.get("Header")
            header = (
                header.strip() if isinstance(header, str) and header.strip() else "Authorization"
            )
            sources = (f"method.request.header.{header}",)
            check = identity.get("ValidationExpression")
            if check:
                unread = (
                    f"Identity.ValidationExpression {_text(check)} not carried: check the "
                    "token's shape in the authorizer",
                )
        else:
            return _Closed(
                f"{origin} has FunctionPayloadType {payload}, which SAM does not have: {CLOSED}"
            )
        found = _Lambda(
            label,
            origin,
            config["FunctionArn"],
            ttl,
            sources,
            payload == "TOKEN",
            "policy",
            "REST API",
            unread,
        )
        return self.declare(found)


# ----------------------------------------------------------------------------- helpers


def _jwt(
    origin: str,
    issuer: Any,
    audience: Any,
    scopes: tuple[str, ...],
    reader: _Reader,
    source: Any,
) -> _Definition:
    """An HTTP API JWT authorizer: literal issuer and audiences, or a closed route."""
    audiences = _strings(audience)
    if not isinstance(issuer, str) or not issuer.strip() or not audiences:
        return _Closed(
            f"{origin} is a JWT authorizer whose issuer {_text(issuer)} or audience "
            f"{_text(audience)} is not literal text (CloudFormation resolves it at deploy): "
            f"{CLOSED}, as JWT(issuer=..., audience=...) with the values it resolves to"
        )
    texts = _source_texts(source)
    if texts and [identity_source(t) for t in texts] != ["header:authorization"]:
        reader.imported.note_once(
            "",
            "change",
            f"{origin} reads the token from {', '.join(texts)}: polyfn's JWT reads it from "
            "the Authorization header (Bearer), so clients send it there",
        )
    return ImportedJWT(issuer.strip(), audiences, scopes)


def _shared(authorizer_id: Any) -> _Closed:
    return _Closed(
        f"its authorizer {_text(authorizer_id)} is shared from outside the file: {CLOSED}"
    )


def _cognito(arn: Any) -> _Closed:
    arns = arn if isinstance(arn, list) else [arn]
    pools = [m for a in arns if isinstance(a, str) and (m := _USER_POOL.fullmatch(a.strip()))]
    issuer = (
        f"https://cognito-idp.{pools[0].group(1)}.amazonaws.com/{pools[0].group(2)}"
        if pools
        else "https://cognito-idp.<region>.amazonaws.com/<pool id>"
    )
    return _Closed(
        "its authorizer is a Cognito user pool: polyfn keeps the route closed "
        f"(auth='platform-key') until it declares auth=JWT(issuer=\"{issuer}\", "
        'audience="<app client id>"); polyfn checks aud, which Cognito writes in ID tokens '
        "(an access token carries the app client id as client_id)"
    )


def _identity_lists(
    identity: Mapping[str, Any], header: str, query: str, prefix: str
) -> tuple[str, ...]:
    """SAM's ``Headers`` / ``QueryStrings`` / ``StageVariables`` / ``Context`` as API
    Gateway identity sources (``prefix`` is ``$`` on an HTTP API)."""
    texts: list[str] = []
    for key, start in (
        ("Headers", header),
        ("QueryStrings", query),
        ("StageVariables", f"{prefix}stageVariables."),
        ("Context", f"{prefix}context."),
    ):
        value = identity.get(key)
        items = value if isinstance(value, list) else [] if value is None else [value]
        texts += [f"{start}{item}" if isinstance(item, str) else _text(item) for item in items]
    return tuple(texts)


def _source_texts(value: Any) -> tuple[str, ...]:
    """Identity sources as written: a comma-separated string or a list."""
    if value is None:
        return ()
    items = (
        value.split(",")
        if isinstance(value, str)
        else value
        if isinstance(value, list)
        else [value]
    )
    texts = (item.strip() if isinstance(item, str) else _text(item) for item in items)
    return tuple(text for text in texts if text)


def _strings(value: Any) -> tuple[str, ...] | None:
    """A scalar or a list of scalars as text; None when absent or not literal."""
    items = value if isinstance(value, list) else [value]
    if value is None or not all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in items
    ):
        return None
    return tuple(str(item).strip() for item in items if str(item).strip())


def _ttl(value: Any, default: int) -> int:
    """A TTL as API Gateway takes it (0 to 3600 s); what is not a number is the default,
    as the Framework's ``parseInt`` falls back to it."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value):
        number = int(value)
    elif isinstance(value, str) and (match := re.match(r"\s*(-?\d+)", value)):
        number = int(match.group(1))
    else:
        return default
    return min(max(number, 0), MAX_TTL)


def _arn_label(arn: Any) -> str:
    """The Framework's name for an authorizer given by ARN: the function name's last
    '-' part (naming.js ``extractAuthorizerNameFromArn``)."""
    if isinstance(arn, str):
        return arn.rsplit(":", 1)[-1].rsplit("-", 1)[-1] or "authorizer"
    return ref_id(arn) or "authorizer"


def _absent(value: Any) -> bool:
    """No authorizer: absent, false or empty text (what YAML gives for ``authorizer:``)."""
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A short readable form of what the file wrote."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, inner),) = value.items()
        if isinstance(inner, list):
            inner = ".".join(str(part) for part in inner)
        text = f"{key} {inner}"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
