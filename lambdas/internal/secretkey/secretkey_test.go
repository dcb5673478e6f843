package secretkey

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

type fakeGetter struct {
	calls int
	fail  bool
	value *string
}

func (f *fakeGetter) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	if *in.SecretId != "arn:secret" {
		return nil, errors.New("wrong secret id " + *in.SecretId)
	}
	if f.fail {
		return nil, errors.New("throttled")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.value}, nil
}

func TestKeyIsFetchedLazilyOnceAndErrorsAreNotCached(t *testing.T) {
	g := &fakeGetter{fail: true, value: aws.String("key-material-0123456789")}
	s := New(g, "arn:secret")
	if g.calls != 0 {
		t.Fatal("New made a call")
	}
	if _, err := s.Key(context.Background()); err == nil {
		t.Fatal("a failed fetch returned a key")
	}
	g.fail = false
	for range 3 {
		k, err := s.Key(context.Background())
		if err != nil || string(k) != "key-material-0123456789" {
			t.Fatalf("Key() = %q, %v", k, err)
		}
	}
	if g.calls != 2 {
		t.Errorf("want 1 failed + 1 successful call, got %d", g.calls)
	}
}

func TestEmptySecretOrARNIsAnError(t *testing.T) {
	if _, err := New(&fakeGetter{value: aws.String("")}, "arn:secret").Key(context.Background()); err == nil {
		t.Error("empty secret string accepted")
	}
	if _, err := New(&fakeGetter{}, "arn:secret").Key(context.Background()); err == nil {
		t.Error("binary-only secret accepted")
	}
	if _, err := New(&fakeGetter{}, "").Key(context.Background()); err == nil {
		t.Error("empty ARN accepted")
	}
}
