// Package fileperm answers questions about who may touch a file, for the
// checks that keep each user's configuration, secrets and state their own.
package fileperm
