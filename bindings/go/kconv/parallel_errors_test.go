// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestParallelFailuresKeepTheirOwnMessages is why the bindings call the _e variants: goroutines fail at
// once on many OS threads, each with a different value in a different field, and each must read its own
// message. Through kconv_last_error_message (per OS thread) a goroutine moved to another thread between
// its call and the read would see another goroutine's message.
func TestParallelFailuresKeepTheirOwnMessages(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 4 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	}
	fields := []struct {
		name string
		set  func(*ConvDesc, int64)
	}{
		{"n", func(d *ConvDesc, v int64) { d.N = v }},
		{"c", func(d *ConvDesc, v int64) { d.C = v }},
		{"stride_w", func(d *ConvDesc, v int64) { d.StrideW = v }},
		{"dil_h", func(d *ConvDesc, v int64) { d.DilH = v }},
	}
	c := smallCase(t)
	const goroutines, rounds = 64, 50
	var wg sync.WaitGroup
	failures := make(chan string, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			field := fields[g%len(fields)]
			y := make([]float32, c.yLen)
			for round := 0; round < rounds; round++ {
				unique := int64(g*rounds + round + 1) // unique to this goroutine and round
				var err error
				var want string
				if round%2 == 0 {
					// Refused while the descriptor is validated (kconv_conv_output_shape_e).
					desc := c.desc
					field.set(&desc, -unique)
					want = fmt.Sprintf("desc->%s = %d:", field.name, -unique)
					err = ForwardHost(desc, c.x, c.w, c.bias, y)
				} else {
					// Refused by the forward call itself (kconv_forward_host_with_options).
					threads := 4096 + int(unique)
					want = fmt.Sprintf("options->threads = %d ", threads)
					err = ForwardHostWithOptions(c.desc, c.x, c.w, c.bias, y, HostOptions{Threads: threads})
				}
				kerr, ok := err.(*Error)
				if !ok || kerr.Status != StatusInvalidArgument || !strings.Contains(kerr.Message, want) {
					failures <- fmt.Sprintf("goroutine %d round %d: got %v, want a message with %q", g, round, err, want)
					return
				}
				// A successful call in between, so that threads also carry successes.
				if err := ForwardHost(c.desc, c.x, c.w, c.bias, y); err != nil {
					failures <- fmt.Sprintf("goroutine %d round %d: valid call failed: %v", g, round, err)
					return
				}
				runtime.Gosched()
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}
