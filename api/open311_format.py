"""Open311 GeoReport v2's two formats: JSON and XML (the spec's required one), and its errors.

XML follows the spec's element names: a list is an element whose children are named after
its items (``services``/``service``, ``service_requests``/``request``, ``attributes``/
``attribute``, ``values``/``value``, ``errors``/``error``, …); a boolean is ``true`` /
``false``, a missing value an empty element. Every answer is UTF-8, the XML one with its
declaration saying so.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from fastapi import Request
from fastapi.responses import JSONResponse, Response

PREFIX = "/open311/"
XML = "text/xml; charset=utf-8"
#: The element name of a list's items, by the list's name.
ITEMS = {"services": "service", "service_requests": "request", "attributes": "attribute",
         "values": "value", "errors": "error", "endpoints": "endpoint", "formats": "format"}
#: GeoReport's error codes: what a native status becomes (a native 422, invalid content, is
#: the spec's 400; no credentials or a bad api_key is its 403).
STATUS = {401: 403, 422: 400}


def is_open311(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def wants_xml(request: Request) -> bool:
    return request.url.path.endswith(".xml")


def _append(parent: ElementTree.Element, tag: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ElementTree.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _append(element, ITEMS.get(tag, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def xml(root: str, value: Any) -> bytes:
    """``value`` (JSON-like: dicts, lists, scalars) as the XML document ``<root>…</root>``."""
    element = ElementTree.Element(root)
    _fill(element, root, value)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def render(request: Request, root: str, value: Any, status_code: int = 200) -> Response:
    """The answer in the format the path asks for (``….xml`` or ``….json``)."""
    if wants_xml(request):
        return Response(xml(root, value), status_code=status_code, media_type=XML)
    return JSONResponse(value, status_code=status_code)


def error(request: Request, status: int, descriptions: list[str]) -> Response:
    """GeoReport's error answer: a list of ``{code, description}``, with the HTTP status."""
    status = STATUS.get(status, status)
    errors = [{"code": status, "description": d} for d in descriptions]
    return render(request, "errors", errors, status)
