package rewards

// nativeSeccomp selects the filter for the architecture of this build.
const nativeSeccomp, goarch = "amd64", "amd64"
