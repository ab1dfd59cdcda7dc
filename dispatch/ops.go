package dispatch

// JobStats sums up the finished background jobs of one outcome for the
// operator's metrics.
type JobStats struct {
	// Outcome is done or failed.
	Outcome    string
	Count      uint64
	SumSeconds float64
	// Buckets maps an upper bound in seconds to how many jobs took at most
	// that long (cumulative, as Prometheus histograms count).
	Buckets map[float64]uint64
}
