"""The demo's GLSL ES shaders (app/src/main/assets/shaders) compile with Khronos' reference compiler
(glslangValidator, Debian's glslang-tools), and every shader PortraitRenderer loads exists.

What this catches: syntax and type errors, desktop-only GLSL (e.g. `texture` instead of ES 1.00's
`texture2D`), a missing extension for the camera's external texture. What it cannot: a driver's own
compiler quirks or how the composite looks; that is the phone step of android_demo/README.md.
"""

import re
import subprocess

import pytest

from android_tools import APP, JAVA_SOURCES, require_tool

SHADERS = APP / "src/main/assets/shaders"
RENDERER = JAVA_SOURCES / "org/edgedeeplab/portrait/PortraitRenderer.java"


@pytest.mark.parametrize("shader", sorted(p.name for p in SHADERS.iterdir()))
def test_shader_compiles_as_glsl_es_100(shader):
    glslang = require_tool("glslangValidator")
    path = SHADERS / shader
    assert path.read_text().startswith("#version 100\n"), f"{shader}: GLSL ES 1.00 (#version 100) on the first line"
    result = subprocess.run([glslang, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{shader} does not compile:\n{result.stdout}{result.stderr}"


def test_a_broken_shader_fails_the_check(tmp_path):
    """The check must be able to fail: desktop GLSL's texture() does not exist in GLSL ES 1.00."""
    glslang = require_tool("glslangValidator")
    broken = tmp_path / "blur.frag"
    broken.write_text((SHADERS / "blur.frag").read_text().replace("texture2D(", "texture("))
    result = subprocess.run([glslang, str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "texture" in result.stdout


def test_every_shader_the_renderer_loads_exists_and_each_is_used():
    loaded = set(re.findall(r'"shaders/([\w.]+)"', RENDERER.read_text()))
    assert loaded == {p.name for p in SHADERS.iterdir()}
