//go:build tools

// Package seaweedfs pins the SeaweedFS the tests run against (a real
// distributed object store with an S3 gateway). Its go.mod repeats
// SeaweedFS's own replace directive, which go install refuses, so it is
// built from here: .ci/seaweedfs builds and starts it.
package seaweedfs

import _ "github.com/seaweedfs/seaweedfs/weed"
