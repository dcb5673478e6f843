// Package secretkey loads the cursor-signing key from AWS Secrets Manager lazily and
// caches it, so a function's cold start makes no network call and only list requests that
// actually sign or check a cursor pay for one fetch per execution environment.
package secretkey

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Getter is the part of the Secrets Manager API this package uses.
type Getter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ Getter = (*secretsmanager.Client)(nil)

// Source fetches the secret string of one secret on first use and then returns the
// cached bytes. A failed fetch is not cached, so the next request tries again.
type Source struct {
	client Getter
	arn    string

	mu  sync.Mutex
	key []byte
}

// New returns a Source for the secret with that ARN. It makes no call.
func New(client Getter, arn string) *Source {
	return &Source{client: client, arn: arn}
}

// Key returns the key material (the secret string's bytes). Its signature matches
// app.Deps.CursorKey.
func (s *Source) Key(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	if s.arn == "" {
		return nil, errors.New("secretkey: no secret ARN configured")
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.arn)})
	if err != nil {
		return nil, fmt.Errorf("secretkey: get secret value: %w", err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return nil, errors.New("secretkey: secret has no string value")
	}
	s.key = []byte(*out.SecretString)
	return s.key, nil
}
