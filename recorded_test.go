package openrouter_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// recordedURL is the base URL of a recordedClient's requests: any URL
// does, none is dialled.
const recordedURL = "http://recorded.invalid"

// recordedClient returns an *http.Client whose transport answers every
// request with the recorded body: status 200, the given Content-Type and
// the body's Content-Length. No server goroutine and no socket are
// involved, so an instruction count (callgrind) of a stream benchmark
// does not depend on how the runtime schedules a server beside its
// client. Each request's body is read to its end and closed, as a
// server would.
func recordedClient(body []byte, contentType string) *http.Client {
	return &http.Client{Transport: recordedTransport{body: body, contentType: contentType}}
}

// recordedTransport is recordedClient's http.RoundTripper.
type recordedTransport struct {
	body        []byte
	contentType string
}

func (t recordedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":   {t.contentType},
			"Content-Length": {strconv.Itoa(len(t.body))},
		},
		ContentLength: int64(len(t.body)),
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		Request:       r,
	}, nil
}
