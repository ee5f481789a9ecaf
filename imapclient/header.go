package imapclient

// MaxHeaderBytes is the most of a message's header that is kept; the rest
// is read from the server and dropped.
const MaxHeaderBytes = 64 << 10
