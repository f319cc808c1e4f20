#version 100
#extension GL_OES_EGL_image_external : require
// The screen: the sharp camera over a blurred or replaced background, blended by the person alpha of
// the latest finished inference. The alpha arrives at the model's resolution (an 8-bit texture with
// linear filtering does the upscaling), is feathered over about a mask texel, then its uncertain band
// uRamp (around the model's 0.5) is stretched to 0..1 so edges look clean rather than cut out.
precision mediump float;
uniform samplerExternalOES uCamera;
uniform sampler2D uMask;        // person alpha, rows top first, upright and mirrored as the preview is
uniform sampler2D uBackground;  // the blurred camera, an offscreen texture (rows bottom first)
uniform int uMode;              // 0 blur, 1 replace, 2 show the mask, 3 effect off
uniform vec3 uReplaceTop;
uniform vec3 uReplaceBottom;
uniform vec2 uRamp;
uniform vec2 uMaskTexel;
varying vec2 vUv;
varying vec2 vCameraUv;

float alphaAt(vec2 uv) {
    return texture2D(uMask, uv).r;
}

void main() {
    vec3 camera = texture2D(uCamera, vCameraUv).rgb;
    if (uMode == 3) {
        gl_FragColor = vec4(camera, 1.0);
        return;
    }
    float a = 0.4 * alphaAt(vUv)
            + 0.15 * (alphaAt(vUv + vec2(uMaskTexel.x, 0.0)) + alphaAt(vUv - vec2(uMaskTexel.x, 0.0))
                    + alphaAt(vUv + vec2(0.0, uMaskTexel.y)) + alphaAt(vUv - vec2(0.0, uMaskTexel.y)));
    a = smoothstep(uRamp.x, uRamp.y, a);
    if (uMode == 2) {
        gl_FragColor = vec4(vec3(a), 1.0);
        return;
    }
    vec3 background = uMode == 0 ? texture2D(uBackground, vec2(vUv.x, 1.0 - vUv.y)).rgb
                                 : mix(uReplaceTop, uReplaceBottom, vUv.y);
    gl_FragColor = vec4(mix(background, camera, a), 1.0);
}
