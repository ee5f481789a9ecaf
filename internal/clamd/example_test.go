package clamd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/bounceguard/bounceguard/internal/clamd"
)

// Scanning a message: a verdict only when the scan ran; on any error the
// caller keeps the message and says why.
func ExampleClient_Scan() {
	c, err := clamd.New("tcp://127.0.0.1:3310")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open("message.eml")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Scan(ctx, f)
	switch {
	case errors.Is(err, clamd.ErrTooLarge):
		fmt.Println("kept: too large for clamd")
	case err != nil:
		fmt.Println("kept: not scanned:", err)
	case res.Infected:
		fmt.Println("virus:", res.Signature)
	default:
		fmt.Println("clean")
	}
}
