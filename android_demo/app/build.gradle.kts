plugins {
    alias(libs.plugins.android.application)
}

android {
    namespace = "org.edgedeeplab.portrait"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.edgedeeplab.portrait"
        minSdk = 24
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_11
        targetCompatibility = JavaVersion.VERSION_11
    }

    // LiteRT maps the models straight from the APK's assets: they must be stored uncompressed.
    androidResources {
        noCompress += "tflite"
    }
}

dependencies {
    implementation(libs.androidx.activity)
    implementation(libs.camera.core)
    implementation(libs.camera.camera2)
    implementation(libs.camera.lifecycle)
    implementation(libs.litert)
    implementation(libs.litert.gpu)

    // The core/ package is plain Java: its tests run here with `./gradlew test` and, without Gradle,
    // from the repository's pytest suite (tests/android/).
    testImplementation(libs.junit)
    // android.jar's org.json is a stub that throws under `./gradlew test`: the real one for the JVM.
    testImplementation(libs.json)
}
