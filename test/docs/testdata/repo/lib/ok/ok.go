// Package ok says what it is.
package ok
