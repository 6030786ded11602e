//go:build tools

// Package tools keeps go.mod honest about the command build.sh compiles.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
