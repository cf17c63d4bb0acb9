"""Hosted model calls in Python code: which provider, which model id, which region.

Static only: the module is parsed with ``ast`` and names are resolved with the code scanner's
``Scopes`` (imports, aliases, string constants). Recognised clients: OpenAI and Azure OpenAI,
Anthropic (direct, Bedrock, Vertex), AWS Bedrock through boto3, Vertex AI / Gemini
(``vertexai``, ``google.genai``), LangChain chat models and LiteLLM.
"""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass

from mlsvs.codescan.calls import kwarg, method
from mlsvs.codescan.names import Scopes


@enum.unique
class Provider(enum.StrEnum):
    """Who hosts the model."""

    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"
    ANTHROPIC = "anthropic"
    BEDROCK = "bedrock"
    VERTEX = "vertex"
    LITELLM = "litellm"


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedCall:
    """One call that sends a request to a hosted model."""

    provider: Provider
    line: int
    model: str | None
    """The model id when it is a constant; None when chosen at run time."""
    region: str | None
    """The region (or regional endpoint) the client is bound to; None when not pinned."""


# A model id that names a fixed version: a date (20241022, 2024-08-06, 05-06, @20241022), a
# legacy snapshot (0613), a numbered revision (-002) or a Bedrock version (-v1:0).
_PINNED = re.compile(
    r"(?:\d{8}|\d{4}-\d{2}-\d{2}|-\d{2}-\d{2}|-\d{4}|-\d{3}|-v\d+(?::\d+)?|@\d{8})$"
)
# Embedding models without dated snapshots are fixed weights, not moving aliases.
_FIXED = re.compile(r"^text-embedding-(?:3-small|3-large|ada-002)$")


def pinned(model: str) -> bool:
    """Whether ``model`` names a dated or numbered version rather than a moving alias."""
    name = model.rsplit("/", 1)[-1]
    if "latest" in name.lower():
        return False
    return bool(_PINNED.search(name) or _FIXED.match(name))


_CLIENTS = {
    "openai.OpenAI": Provider.OPENAI,
    "openai.AsyncOpenAI": Provider.OPENAI,
    "openai.AzureOpenAI": Provider.AZURE_OPENAI,
    "openai.AsyncAzureOpenAI": Provider.AZURE_OPENAI,
    "anthropic.Anthropic": Provider.ANTHROPIC,
    "anthropic.AsyncAnthropic": Provider.ANTHROPIC,
    "anthropic.AnthropicBedrock": Provider.BEDROCK,
    "anthropic.AnthropicVertex": Provider.VERTEX,
    "google.genai.Client": Provider.VERTEX,
}
_LANGCHAIN = {
    "langchain_openai.ChatOpenAI": (Provider.OPENAI, ("model", "model_name"), ("base_url",)),
    "langchain_openai.AzureChatOpenAI": (
        Provider.AZURE_OPENAI,
        ("model", "azure_deployment"),
        ("azure_endpoint",),
    ),
    "langchain_anthropic.ChatAnthropic": (Provider.ANTHROPIC, ("model", "model_name"), ()),
    "langchain_aws.ChatBedrock": (Provider.BEDROCK, ("model_id", "model"), ("region_name",)),
    "langchain_aws.ChatBedrockConverse": (
        Provider.BEDROCK,
        ("model", "model_id"),
        ("region_name",),
    ),
    "langchain_google_vertexai.ChatVertexAI": (
        Provider.VERTEX,
        ("model_name", "model"),
        ("location",),
    ),
}
_CLIENT_REGION = {
    Provider.OPENAI: ("base_url",),
    Provider.AZURE_OPENAI: ("azure_endpoint", "base_url"),
    Provider.ANTHROPIC: ("base_url",),
    Provider.BEDROCK: ("aws_region", "region_name"),
    Provider.VERTEX: ("region", "location"),
}
_REQUESTS = re.compile(r"(?:chat\.completions|completions|responses|embeddings|messages|models)$")
_OPENAI_DEFAULT = re.compile(r"^https://api\.(?:openai|anthropic)\.com")


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scopes = Scopes()
        self.calls: list[HostedCall] = []
        self.clients: dict[str, tuple[Provider, str | None]] = {}
        self.vertex_location: str | None = None

    def visit_Import(self, node: ast.Import) -> None:
        self.scopes.bind_import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.scopes.bind_import(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        client = self._client(node.value) if isinstance(node.value, ast.Call) else None
        for target in node.targets:
            if isinstance(target, ast.Name | ast.Attribute):
                name = ast.unparse(target)
                if client is not None:
                    self.clients[name] = client
                if isinstance(target, ast.Name):
                    self.scopes.bind(target.id, node.value)

    def _const(self, call: ast.Call, names: tuple[str, ...]) -> str | None:
        for name in names:
            value = kwarg(call, name)
            if value is not None:
                return self.scopes.const_str(value)
        return None

    def _client(self, call: ast.Call) -> tuple[Provider, str | None] | None:
        qualname = self.scopes.qualname(call.func) or ""
        provider = _CLIENTS.get(qualname)
        if provider is not None:
            region = self._const(call, _CLIENT_REGION.get(provider, ()))
            if provider is Provider.VERTEX and qualname == "google.genai.Client":
                region = self._const(call, ("location",))
            if region is not None and _OPENAI_DEFAULT.match(region):
                region = None  # the global default endpoint is no region
            return provider, region
        if qualname == "boto3.client" or (qualname.endswith(".client") and "boto3" in qualname):
            service = self.scopes.const_str(call.args[0]) if call.args else None
            service = service or self._const(call, ("service_name",))
            if service in {"bedrock-runtime", "bedrock-agent-runtime"}:
                return Provider.BEDROCK, self._const(call, ("region_name",))
        return None

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        qualname = self.scopes.qualname(node.func) or ""
        if qualname == "vertexai.init":
            self.vertex_location = self._const(node, ("location",))
            return
        if qualname in _LANGCHAIN:
            provider, model_keys, region_keys = _LANGCHAIN[qualname]
            region = self._const(node, region_keys) if region_keys else None
            self._add(provider, node, self._const(node, model_keys), region)
            return
        if qualname in {
            "vertexai.generative_models.GenerativeModel",
            "vertexai.preview.generative_models.GenerativeModel",
        }:
            model = self.scopes.const_str(node.args[0]) if node.args else None
            self._add(Provider.VERTEX, node, model or self._const(node, ("model_name",)), None)
            return
        if qualname in {"litellm.completion", "litellm.acompletion", "litellm.embedding"}:
            model = self._const(node, ("model",))
            region = self._const(node, ("aws_region_name", "vertex_location", "api_base"))
            self._add(Provider.LITELLM, node, model, region)
            return
        name = method(node)
        if name in {
            "invoke_model",
            "invoke_model_with_response_stream",
            "converse",
            "converse_stream",
        } and isinstance(node.func, ast.Attribute):
            client = self.clients.get(ast.unparse(node.func.value))
            if client is not None and client[0] is Provider.BEDROCK:
                self._add(Provider.BEDROCK, node, self._const(node, ("modelId",)), client[1])
            return
        if name in {"create", "generate_content", "stream"} and isinstance(
            node.func, ast.Attribute
        ):
            receiver = node.func.value
            chain = ast.unparse(receiver)
            if not _REQUESTS.search(chain):
                return
            owners = (chain.split(".")[0], chain.rsplit(".", 1)[0], chain.rsplit(".", 2)[0])
            client = next((self.clients[o] for o in owners if o in self.clients), None)
            if client is None:
                return
            self._add(client[0], node, self._const(node, ("model",)), client[1])

    def _add(
        self, provider: Provider, node: ast.Call, model: str | None, region: str | None
    ) -> None:
        self.calls.append(
            HostedCall(provider=provider, line=node.lineno, model=model, region=region)
        )


def hosted_calls(source: str) -> tuple[HostedCall, ...]:
    """Hosted model calls in a module; ``SyntaxError`` propagates."""
    visitor = _Visitor()
    visitor.visit(ast.parse(source))
    calls = []
    for call in visitor.calls:
        if call.provider is Provider.VERTEX and call.region is None:
            call = HostedCall(
                provider=call.provider,
                line=call.line,
                model=call.model,
                region=visitor.vertex_location,
            )
        calls.append(call)
    return tuple(calls)
