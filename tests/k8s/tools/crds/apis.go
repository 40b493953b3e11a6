//go:build tools

// The API packages controller-gen reads (tests/deploy/tools.sh names the same ones); imported here so
// go.mod pins their modules.
package crds

import (
	_ "github.com/cloudnative-pg/cloudnative-pg/api/v1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
