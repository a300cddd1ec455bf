"""The OpenAPI document and a docs page rendered here from it (no CDN, no JavaScript)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template_string

from api.openapi import document
from auth.login import current_lang
from i18n import t

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

_PAGE = """<!doctype html><html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ title }}</title><link rel="stylesheet" href="/assets/00_theme.css"></head>
<body class="api-docs"><main><h1>{{ title }}</h1><p>{{ intro }}</p>
<p><a href="/api/v1/openapi.json">openapi.json</a></p>
{% for path, ops in doc.paths.items() %}{% for method, op in ops.items() %}
<section class="api-op"><h2><code>{{ method|upper }} {{ path }}</code></h2>
<p>{{ op.operationId }}{% if op.get('security') %} · {{ auth }}{% endif %}</p>
{% if op.get('parameters') %}<ul>{% for p in op.parameters %}<li><code>{{ p.name }}</code> ({{ p['in'] }}){% if p.get('description') %} — {{ p.description }}{% endif %}</li>{% endfor %}</ul>{% endif %}
{% if op.get('requestBody') %}{% set s = op.requestBody.content['application/json'].schema %}{% if s.get('properties') %}
<p>{{ body }}: {% for name in s.properties %}<code>{{ name }}</code>{% if name in s.get('required', []) %}*{% endif %} {% endfor %}</p>{% endif %}{% endif %}
<p>{{ answers }}: {% for status, r in op.responses.items() %}<code>{{ status }}</code> {{ r.description }}; {% endfor %}</p>
</section>{% endfor %}{% endfor %}</main></body></html>"""


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    lang = current_lang()
    return render_template_string(_PAGE, doc=document(), lang=lang, title=t("api.docs.title", lang),
                                  intro=t("api.docs.intro", lang), auth=t("api.docs.auth", lang),
                                  body=t("api.docs.body", lang), answers=t("api.docs.answers", lang))
