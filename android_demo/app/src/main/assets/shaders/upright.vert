#version 100
// A full-screen quad in upright screen coordinates (vUv: u right, v down, the mask's row order) and
// the camera texture coordinate of each corner (uCameraMatrix: SurfaceTexture's transform times
// PreviewGeometry's upright-to-sensor matrix). Used to draw the camera into the blur's first target
// and to composite the screen.
attribute vec2 aPosition;
uniform mat4 uCameraMatrix;
varying vec2 vUv;
varying vec2 vCameraUv;

void main() {
    vUv = vec2(aPosition.x * 0.5 + 0.5, 0.5 - aPosition.y * 0.5);
    vCameraUv = (uCameraMatrix * vec4(vUv, 0.0, 1.0)).xy;
    gl_Position = vec4(aPosition, 0.0, 1.0);
}
