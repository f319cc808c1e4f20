#version 100
// One direction of a separable Gaussian (sigma ~ 2 texels, 9 taps read as 5 thanks to bilinear
// filtering between texel pairs); uStep is one texel along the direction times the spread.
precision mediump float;
uniform sampler2D uImage;
uniform vec2 uStep;
varying vec2 vTexUv;

void main() {
    vec3 sum = texture2D(uImage, vTexUv).rgb * 0.2270270270;
    vec2 near = uStep * 1.3846153846;
    vec2 far = uStep * 3.2307692308;
    sum += (texture2D(uImage, vTexUv + near).rgb + texture2D(uImage, vTexUv - near).rgb) * 0.3162162162;
    sum += (texture2D(uImage, vTexUv + far).rgb + texture2D(uImage, vTexUv - far).rgb) * 0.0702702703;
    gl_FragColor = vec4(sum, 1.0);
}
