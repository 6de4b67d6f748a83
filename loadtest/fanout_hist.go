package loadtest

import (
	"math"
	"math/bits"
	"time"
)

// A histogram counts durations in microseconds with bounded relative
// error, so a million deliveries a second cost no memory per sample:
// values below 2·histSub µs are counted exactly, larger ones in buckets
// histSub per power of two wide (at most 1/histSub ≈ 3% apart). Values
// beyond about 38 hours land in the last bucket; negative ones count as 0.
type histogram struct {
	counts []uint64 // allocated on the first add
	n      int64
	max    int64 // the largest value added, exactly
}

const (
	histSubBits  = 5
	histSub      = 1 << histSubBits
	histMaxShift = 31
	histBuckets  = (histMaxShift + 2) * histSub
	histTop      = uint64(2*histSub)<<histMaxShift - 1 // the largest value told apart
)

// histBucket is the bucket of v µs.
func histBucket(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	v = min(v, histTop)
	shift := bits.Len64(v) - histSubBits - 1
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// histHigh is the largest value of bucket i.
func histHigh(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	m := int64(i%histSub + histSub)
	return (m+1)<<shift - 1
}

// add counts one value of us microseconds.
func (h *histogram) add(us int64) {
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
	}
	us = max(us, 0)
	h.counts[histBucket(uint64(us))]++
	h.n++
	h.max = max(h.max, us)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100), the
// same rule as Percentile, to within a bucket: the upper bound of the
// bucket holding that rank, never above the maximum. 0 when empty.
func (h *histogram) percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(1, int64(math.Ceil(p/100*float64(h.n))))
	var seen int64
	for i, c := range h.counts {
		if seen += int64(c); seen >= rank {
			return time.Duration(min(histHigh(i), h.max)) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

// maxDuration is the largest value added.
func (h *histogram) maxDuration() time.Duration { return time.Duration(h.max) * time.Microsecond }
