"""MkDocs hooks: the site shows files that live outside docs/, and draws diagrams offline.

- ``openapi.yaml`` and the pictures under ``images/`` stay where the code that writes or reads
  them expects them; they are added to the site as they are, so a page links them as
  ``openapi.yaml`` or ``images/architecture.png`` and the strict build checks those links.
- Swagger UI (the API reference) comes from the swagger-ui-tag plugin's wheel; its licence and
  notice go into the site next to it.
- Mermaid diagrams are drawn by the copy vendored in ``docs/assets/vendor/mermaid/`` (npm
  ``mermaid`` 11.17.2, ``dist/mermaid.min.js``, MIT), loaded only on pages that have one and
  before the theme's script, which then uses it instead of fetching Mermaid from a CDN.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
SHOWN_FROM_ROOT = ("openapi.yaml", "images/*.png")


def _swagger_ui() -> Path:
    """Swagger UI's files inside the installed mkdocs-swagger-ui-tag plugin."""
    plugin = importlib.util.find_spec("mkdocs_swagger_ui_tag")
    if plugin is None or plugin.origin is None:
        raise ImportError("mkdocs-swagger-ui-tag is not installed (make install)")
    return Path(plugin.origin).parent / "swagger-ui"


MERMAID = "assets/vendor/mermaid/mermaid.min.js"
THEME_SCRIPT = '<script src="'


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the repository's own files that pages show or link."""
    for pattern in SHOWN_FROM_ROOT:
        for path in sorted(ROOT.glob(pattern)):
            uri = path.relative_to(ROOT).as_posix()
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    for name in ("LICENSE", "NOTICE"):
        uri = f"assets/swagger-ui/{name}"
        files.append(File.generated(config, uri, abs_src_path=str(_swagger_ui() / name)))
    return files


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Load the vendored Mermaid before the theme's script on a page with a diagram."""
    if 'class="mermaid"' not in output:
        return output
    source = get_relative_url(MERMAID, page.url)
    tag = f'<script src="{source}"></script>\n'
    at = output.find(THEME_SCRIPT, output.find("</article>"))
    if at < 0:
        raise ValueError(
            f"{page.file.src_uri}: no script tag after the content to load Mermaid before"
        )
    return output[:at] + tag + output[at:]
