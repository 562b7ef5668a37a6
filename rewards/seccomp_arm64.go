package rewards

// nativeSeccomp selects the filter for the architecture of this build.
const nativeSeccomp, goarch = "arm64", "arm64"
