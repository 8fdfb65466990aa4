"""Parse BPMN XML safely: no external entities, no DTD loading, no network, no huge trees."""

from __future__ import annotations

from lxml import etree

MAX_BPMN_BYTES = 2 * 1024 * 1024


class UnsafeXmlError(ValueError):
    pass


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_bpmn_bytes(content: bytes, filename: str) -> etree._ElementTree:
    """Parse BPMN bytes or raise UnsafeXmlError/XMLSyntaxError with a clear message."""
    if len(content) > MAX_BPMN_BYTES:
        raise UnsafeXmlError(
            f"{filename}: file is {len(content)} bytes, larger than {MAX_BPMN_BYTES} bytes"
        )
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise UnsafeXmlError(f"{filename}: DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"{filename}: not well-formed XML: {exc}") from None
    return etree.ElementTree(root)
