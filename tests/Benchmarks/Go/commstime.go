// CommsTime on goroutines and unbuffered channels: the reference point of issue 15's CSP benchmarks.
// Run by `ParallelKit.Benchmarks peer --only csp` when `go` is installed; prints one JSON line in the
// peer-baseline contract (batch timing, µs per communication = the consumer's reads × 4).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"
)

func prefix(first int64, in <-chan int64, out chan<- int64, stop <-chan struct{}) {
	select {
	case out <- first:
	case <-stop:
		return
	}
	for {
		select {
		case v := <-in:
			select {
			case out <- v:
			case <-stop:
				return
			}
		case <-stop:
			return
		}
	}
}

func delta(in <-chan int64, out1, out2 chan<- int64, stop <-chan struct{}) {
	for {
		select {
		case v := <-in:
			select {
			case out1 <- v:
			case <-stop:
				return
			}
			select {
			case out2 <- v:
			case <-stop:
				return
			}
		case <-stop:
			return
		}
	}
}

func successor(in <-chan int64, out chan<- int64, stop <-chan struct{}) {
	for {
		select {
		case v := <-in:
			select {
			case out <- v + 1:
			case <-stop:
				return
			}
		case <-stop:
			return
		}
	}
}

func commstime(n int) float64 {
	a, b, c, d := make(chan int64), make(chan int64), make(chan int64), make(chan int64)
	stop := make(chan struct{})
	go prefix(0, c, a, stop)
	go delta(a, b, d, stop)
	go successor(d, c, stop)
	<-b
	start := time.Now()
	for i := 0; i < n; i++ {
		<-b
	}
	elapsed := time.Since(start).Seconds()
	close(stop)
	return elapsed
}

func main() {
	n := 20000
	if len(os.Args) > 1 {
		if parsed, err := strconv.Atoi(os.Args[1]); err == nil {
			n = parsed
		}
	}
	commstime(500)
	samples := make([]float64, 3)
	for r := range samples {
		samples[r] = commstime(n) / float64(4*n)
	}
	sort.Float64s(samples)
	median := samples[len(samples)/2]
	record := map[string]any{
		"bench": "csp_commstime", "impl": "go-goroutines", "variant": "in_process", "n": 4 * n, "reps": len(samples),
		"timing": "batch", "median_us": median * 1e6, "min_us": samples[0] * 1e6, "max_us": samples[len(samples)-1] * 1e6,
		"ops_per_s": 1 / median, "runtime": runtime.Version(), "cpus": runtime.NumCPU(),
	}
	line, _ := json.Marshal(record)
	fmt.Println(string(line))
}
