package openroutertest

import "strings"

// Mentions reports whether the text of any message of the request
// contains s: the way a responder finds the item a request is about,
// whatever message carries it. A repair request (ChatJSON sending the
// violations back) still carries the first request's messages, so a
// responder that matches on Mentions answers it too, where one that looks
// only at the last user message would miss it.
//
//	srv := openroutertest.NewServer(openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
//		if r.Mentions("article-7") {
//			return openroutertest.TextReply("Sorry, I cannot help with that.") // never JSON, even when repaired
//		}
//		return r.DefaultReply()
//	}))
func (r Request) Mentions(s string) bool {
	for _, m := range r.Messages {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}
