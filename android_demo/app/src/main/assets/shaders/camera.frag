#version 100
#extension GL_OES_EGL_image_external : require
// The camera frame into a small offscreen texture: the blur runs at a quarter of the preview's size,
// where a wide blur costs a sixteenth as much and looks the same once scaled up.
precision mediump float;
uniform samplerExternalOES uCamera;
varying vec2 vUv;
varying vec2 vCameraUv;

void main() {
    gl_FragColor = vec4(texture2D(uCamera, vCameraUv).rgb, 1.0);
}
