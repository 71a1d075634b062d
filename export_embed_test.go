package openrouter

// SetEmbedFailedHook sets the function Embed calls when a part has
// failed and no further part will be sent; nil removes it.
func SetEmbedFailedHook(f func()) { embedFailedHook = f }
