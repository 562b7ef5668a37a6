// Package configs holds one typed config struct per command, with a help
// text per key, defaults (Default functions), validation that reports every
// problem at once, and loading: YAML file (viper) < ACECODER_* environment
// variables < command-line flags. Unknown keys and wrong types are errors
// naming the key and the file with its line.
package configs
