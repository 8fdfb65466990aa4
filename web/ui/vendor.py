"""Browser libraries installed with npm (`npm ci`), served from node_modules/ without a bundler.

Only the files named here are served; any other path is 404. bpmn-js draws and edits the BPMN
diagrams, axe-core is injected by the browser tests to check accessibility.
"""

from __future__ import annotations

import functools
import json

from flask import abort, send_file, url_for
from werkzeug.wrappers import Response

from web import ROOT
from web.ui import blueprint

NODE_MODULES = ROOT / "node_modules"

# URL path under /vendor/ -> (file under node_modules/, mimetype)
FILES: dict[str, tuple[str, str]] = {
    "bpmn-js/bpmn-navigated-viewer.js": (
        "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
        "text/javascript",
    ),
    "bpmn-js/bpmn-modeler.js": ("bpmn-js/dist/bpmn-modeler.production.min.js", "text/javascript"),
    "bpmn-js/diagram-js.css": ("bpmn-js/dist/assets/diagram-js.css", "text/css"),
    "bpmn-js/bpmn-js.css": ("bpmn-js/dist/assets/bpmn-js.css", "text/css"),
    "bpmn-js/bpmn-embedded.css": (
        "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css",
        "text/css",
    ),
    "axe-core/axe.min.js": ("axe-core/axe.min.js", "text/javascript"),
    # the modeller's properties panel (its script is in the esbuild bundle, polku-bpmn.js)
    "@bpmn-io/properties-panel/properties-panel.css": (
        "@bpmn-io/properties-panel/dist/assets/properties-panel.css",
        "text/css",
    ),
}

CACHE_SECONDS = 24 * 60 * 60


@blueprint.get("/vendor/<path:name>")
def vendor(name: str) -> Response:
    entry = FILES.get(name)
    if entry is None:
        abort(404)
    relative, mimetype = entry
    path = NODE_MODULES / relative
    if not path.is_file():  # `npm ci` has not been run
        abort(404)
    response = send_file(path, mimetype=mimetype, max_age=CACHE_SECONDS, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@functools.cache
def _package_version(package: str) -> str:
    try:
        data = json.loads((NODE_MODULES / package / "package.json").read_text())
    except (OSError, ValueError):
        return "0"
    return str(data.get("version", "0"))


@blueprint.app_template_global()
def vendor_url(name: str) -> str:
    """The address of a vendored file, with its package's version to bust caches on upgrade."""
    if name not in FILES:
        raise KeyError(f"{name} is not a vendored file")
    parts = name.split("/")
    package = "/".join(parts[:2]) if name.startswith("@") else parts[0]  # @scope/name
    return url_for("ui.vendor", name=name, v=_package_version(package))
