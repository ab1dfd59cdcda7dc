// Package routing plans vehicle routes: the VRP solver with time windows and
// the travel-time matrices it reads. It is pure Go, with no database and no HTTP.
package routing

import "math"

// Unreachable is the duration and distance of a pair of locations that cannot
// reach each other (for example two fragments of a road network). The solver
// treats such a pair as infeasible rather than inventing a number.
var Unreachable = math.Inf(1)

// Matrix gives travel duration (seconds) and distance (metres) between
// location indices 0..Size()-1. Implementations must be safe for concurrent
// reads. A pair that cannot be travelled returns Unreachable.
type Matrix interface {
	Size() int
	Duration(from, to int) float64
	Distance(from, to int) float64
}
