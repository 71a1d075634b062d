package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep(cancelled, 1h) = %v, want context.Canceled", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep(cancelled, 0) = %v, want context.Canceled", err)
	}
}

func TestSleepZeroOrLessDoesNotWait(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Hour} {
		if err := Sleep(context.Background(), d); err != nil {
			t.Fatalf("Sleep(background, %v) = %v, want nil", d, err)
		}
	}
}

func TestSleepWaitsOutAShortDuration(t *testing.T) {
	if err := Sleep(context.Background(), time.Nanosecond); err != nil {
		t.Fatalf("Sleep(background, 1ns) = %v, want nil", err)
	}
}
