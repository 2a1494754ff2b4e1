// wsload: the one WebSocket load client of the fan-out benchmark, for the notifier
// and for Centrifugo alike, so that neither side is measured through a slower client.
//
// It reads sessions from stdin ("<url>\t<first text frame or ->" per line, then an
// empty line), opens them, prints "opened <seconds>", then answers commands on
// stdin: "reset" clears the counters, "report" prints one JSON line of what arrived.
// Every `"message":"<unix ns>"` inside a received message counts as one delivered
// event (so coalesced frames and Centrifugo's newline-batched pushes count right),
// its latency measured from the append time the publisher put there.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type session struct{ url, hello string }

type stats struct {
	mu        sync.Mutex
	latencies []float64 // milliseconds
	frames    atomic.Int64
	lastAt    atomic.Int64 // unix ns of the last receipt
}

var marker = []byte(`"message":"`)

func (s *stats) record(msg []byte, now int64) {
	n := 0
	for {
		i := bytes.Index(msg, marker)
		if i < 0 {
			break
		}
		msg = msg[i+len(marker):]
		end := bytes.IndexByte(msg, '"')
		if end <= 0 {
			break
		}
		sent, err := strconv.ParseInt(string(msg[:end]), 10, 64)
		msg = msg[end:]
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.latencies = append(s.latencies, float64(now-sent)/1e6)
		s.mu.Unlock()
		n++
	}
	if n > 0 {
		s.frames.Add(int64(n))
		s.lastAt.Store(now)
	}
}

func run(sess session, st *stats, opened chan<- error) {
	dialer := websocket.Dialer{HandshakeTimeout: 60 * time.Second}
	conn, _, err := dialer.Dial(sess.url, nil)
	if err != nil {
		opened <- err
		return
	}
	if sess.hello != "-" {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(sess.hello)); err != nil {
			opened <- err
			return
		}
	}
	first := true
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			if first {
				opened <- err
			}
			return
		}
		if first { // the notifier's welcome, Centrifugo's connect reply
			first = false
			opened <- nil
			continue
		}
		if len(msg) == 2 && string(msg) == "{}" { // Centrifugo's ping wants a pong
			_ = conn.WriteMessage(websocket.TextMessage, msg)
			continue
		}
		st.record(msg, time.Now().UnixNano())
	}
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p) - 1
	if i < 0 {
		i = 0
	}
	return sorted[i]
}

func main() {
	concurrency := flag.Int("concurrency", 200, "sessions being opened at the same time")
	flag.Parse()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	var sessions []session
	for in.Scan() {
		line := in.Text()
		if line == "" {
			break
		}
		url, hello, _ := strings.Cut(line, "\t")
		sessions = append(sessions, session{url, hello})
	}
	st := &stats{}
	opened := make(chan error, len(sessions))
	started := time.Now()
	gate := make(chan struct{}, *concurrency)
	go func() {
		for _, s := range sessions {
			gate <- struct{}{}
			go run(s, st, opened)
		}
	}()
	for range sessions {
		if err := <-opened; err != nil {
			fmt.Printf("failed %s\n", err)
			os.Exit(1)
		}
		<-gate
	}
	fmt.Printf("opened %.3f\n", time.Since(started).Seconds())
	for in.Scan() {
		switch in.Text() {
		case "reset":
			st.mu.Lock()
			st.latencies = st.latencies[:0]
			st.frames.Store(0)
			st.mu.Unlock()
			fmt.Println("ok")
		case "report":
			st.mu.Lock()
			lat := append([]float64(nil), st.latencies...)
			st.mu.Unlock()
			sort.Float64s(lat)
			out, _ := json.Marshal(map[string]any{
				"frames": st.frames.Load(), "last_at_ns": st.lastAt.Load(),
				"p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99),
			})
			fmt.Println(string(out))
		}
	}
}
