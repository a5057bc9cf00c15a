"""``shizu serve``: the persona over HTTP (docs/serve.md).

* an OpenAI-compatible API (:mod:`.openai_api`): ``GET /v1/models`` and ``POST /v1/chat/completions``
  with and without streaming, for chat UIs and scripts using the ``openai`` client;
* a web page (:mod:`.page_api` and ``static/``): a Discord-like one-on-one chat, the collection of
  starred exchanges (``/collection``) and the blind test (``/blind``, :mod:`.blind`).

Every reply comes from the persona runtime (:mod:`shizu.persona`), one generation at a time per
model (:mod:`.generation`); an API key from the environment guards everything when it is set
(:mod:`.auth`). Every response carries the security headers and every request must name the
server (:mod:`.security`, :mod:`.hosts`); what an export holds stays inert (:mod:`.inert`):
docs/security.md. :func:`.app.create_app` builds the FastAPI application, :func:`.server.serve`
runs it with uvicorn.
"""
