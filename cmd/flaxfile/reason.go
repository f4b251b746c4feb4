package main

import (
	"errors"

	"github.com/flaxfile/flaxfile"
)

// reason is the server's own words for a refused request, else the error.
func reason(err error) string {
	var se *flaxfile.ServerError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}
