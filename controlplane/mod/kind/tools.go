//go:build tools

// Package tools keeps go.mod honest about the command build.sh compiles.
package tools

import _ "sigs.k8s.io/kind"
