#version 100
// A full-screen quad over an offscreen texture, in GL's texture convention (the blur passes).
attribute vec2 aPosition;
varying vec2 vTexUv;

void main() {
    vTexUv = aPosition * 0.5 + 0.5;
    gl_Position = vec4(aPosition, 0.0, 1.0);
}
