package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchUsers keeps the Dovecot users of repeated benchmark runs apart.
var benchUsers atomic.Int32

// BenchmarkIMAPRunLatency measures how long after its arrival a message is
// decided (and moved, if it is to be) by run idling on Dovecot: 60
// messages, half backscatter, are APPENDed one by one, 100 ms apart, and
// the time from the end of each APPEND to the log record of its decision
// (written after the move) is reported as p50, p99 and max.
// Run it with: go test ./cmd/bounceguard -run '^$' -bench IMAPRunLatency -benchtime 1x
func BenchmarkIMAPRunLatency(b *testing.B) {
	if dovecot == nil {
		b.Skip("dovecot not installed")
	}
	for b.Loop() {
		user := fmt.Sprintf("latency%d", benchUsers.Add(1))
		password := newUser(b, dovecot, user, nil)
		// The default health interval: each check ends an IDLE, and Dovecot
		// batches its announcements for half a second.
		td := startDaemon(b, append(accountArgs(b, dovecot, user), "--health-interval", "2m")...)
		td.waitLog(b, `"msg":"waiting"`, 1, 5*time.Second)
		a := newAppender(b, dovecot, user, password)
		const n = 60
		arrived := map[string]time.Time{}
		for _, m := range mailMix(b, "lat", n) {
			a.deliver(m)
			arrived[m.id] = time.Now()
			time.Sleep(100 * time.Millisecond)
		}
		td.waitLog(b, `"msg":"decision"`, n, 10*time.Second)
		if err := td.shutdown(b); err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		sc := bufio.NewScanner(strings.NewReader(td.log.String()))
		for sc.Scan() {
			var rec struct {
				Time      time.Time `json:"time"`
				Msg       string    `json:"msg"`
				MessageID string    `json:"message_id"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "decision" {
				lat = append(lat, rec.Time.Sub(arrived[rec.MessageID]))
			}
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[(len(lat)*99+99)/100-1]), "p99-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	}
}

// BenchmarkIMAPRunIdleCPU measures the CPU time (user + system, from
// /proc) that run spends idling on an empty mailbox for 60 s with the
// default intervals, after its start-up. Set BOUNCEGUARD_IDLE_SECONDS for
// another length, BOUNCEGUARD_IDLE_FLAGS for more flags (e.g.
// "--health-interval 10s").
// Run it with: go test ./cmd/bounceguard -run '^$' -bench IMAPRunIdleCPU -benchtime 1x
func BenchmarkIMAPRunIdleCPU(b *testing.B) {
	if dovecot == nil {
		b.Skip("dovecot not installed")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc")
	}
	seconds := 60
	if s := os.Getenv("BOUNCEGUARD_IDLE_SECONDS"); s != "" {
		seconds, _ = strconv.Atoi(s)
	}
	bin := buildBounceguard(b, b.TempDir())
	for b.Loop() {
		user := fmt.Sprintf("idlecpu%d", benchUsers.Add(1))
		newUser(b, dovecot, user, mailMix(b, "idle", 20))
		args := append([]string{"run"}, accountArgs(b, dovecot, user)...)
		args = append(args, strings.Fields(os.Getenv("BOUNCEGUARD_IDLE_FLAGS"))...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(2 * time.Second) // start-up and the backlog
		before := cpuTime(b, cmd.Process.Pid)
		time.Sleep(time.Duration(seconds) * time.Second)
		after := cpuTime(b, cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Errorf("run on SIGTERM: %v", err)
		}
		b.ReportMetric(float64(after-before)/float64(time.Millisecond), fmt.Sprintf("cpu-ms/%ds", seconds))
	}
}

// cpuTime reads a process's user + system CPU time from /proc/PID/stat.
func cpuTime(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name (which may hold spaces, in parentheses):
	// utime and stime are fields 14 and 15 of the whole line.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}
