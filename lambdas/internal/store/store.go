package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/jsonenc"
	"github.com/example/notesplatform/lambdas/internal/notes"
)

// Key prefixes. Items of one user share the partition USER#<sub>; the sort key tells
// notes from idempotency records.
const (
	userPrefix = "USER#"
	notePrefix = "NOTE#"
	idemPrefix = "IDEM#"
)

// Attribute names of items.
const (
	attrID        = "id"
	attrTitle     = "title"
	attrBody      = "body"
	attrTags      = "tags"
	attrCreatedAt = "createdAt"
	attrUpdatedAt = "updatedAt"
	attrVersion   = "version"
	attrHash      = "requestHash"
	attrNote      = "note"
	attrState     = "state"
	attrAttempt   = "attempt"
	attrLocked    = "lockedUntil"
)

// recordState is the state attribute of an idempotency record.
type recordState string

const (
	statePending recordState = "pending"
	stateDone    recordState = "done"
)

// filteredPageSize and maxFilteredPages bound the work of one filtered list request: a
// tag filter is applied after DynamoDB reads items, so a rare tag may need several pages;
// past the budget the page is returned short, with a cursor to continue.
const (
	filteredPageSize = 100
	maxFilteredPages = 10
)

// ReadStore reads notes. It holds only a Reader, so it cannot write.
type ReadStore struct {
	db    Reader
	table string
}

// NewReader returns the read-only store over table.
func NewReader(db Reader, table string) *ReadStore {
	return &ReadStore{db: db, table: table}
}

// Store reads and writes notes and idempotency records.
type Store struct {
	ReadStore
	db DB
}

// New returns the read-write store over table.
func New(db DB, table string) *Store {
	return &Store{ReadStore: ReadStore{db: db, table: table}, db: db}
}

var (
	_ notes.ReadStore = (*ReadStore)(nil)
	_ notes.Store     = (*Store)(nil)
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(owner, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		api.TablePartitionKey: s(userPrefix + owner),
		api.TableSortKey:      s(sk),
	}
}

// GetNote implements notes.ReadStore.
func (r *ReadStore) GetNote(ctx context.Context, owner, id string) (notes.Note, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.table),
		Key:            key(owner, notePrefix+id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return notes.Note{}, fmt.Errorf("get note: %w", err)
	}
	if out.Item == nil {
		return notes.Note{}, notes.ErrNotFound
	}
	return decodeNote(out.Item)
}

// ListNotes implements notes.ReadStore with one Query of the owner's partition, newest
// first (ScanIndexForward=false). It asks for one more note than the limit to know
// whether another page exists.
func (r *ReadStore) ListNotes(ctx context.Context, owner string, q notes.ListQuery) ([]notes.Note, string, error) {
	want := q.Limit + 1
	in := &dynamodb.QueryInput{
		TableName:              aws.String(r.table),
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": api.TablePartitionKey, "#sk": api.TableSortKey,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(userPrefix + owner), ":prefix": s(notePrefix),
		},
		ScanIndexForward: aws.Bool(false),
		ConsistentRead:   aws.Bool(true),
	}
	if q.After != "" {
		in.ExclusiveStartKey = key(owner, notePrefix+q.After)
	}
	if q.Tag != "" {
		in.FilterExpression = aws.String("contains(#tags, :tag)")
		in.ExpressionAttributeNames["#tags"] = attrTags
		in.ExpressionAttributeValues[":tag"] = s(q.Tag)
	}
	var got []notes.Note
	var lastKey map[string]types.AttributeValue
	for page := 0; page < maxFilteredPages; page++ {
		limit := want - len(got)
		if q.Tag != "" {
			limit = filteredPageSize
		}
		in.Limit = aws.Int32(int32(limit))
		out, err := r.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("query notes: %w", err)
		}
		for _, item := range out.Items {
			nt, err := decodeNote(item)
			if err != nil {
				return nil, "", err
			}
			got = append(got, nt)
		}
		lastKey = out.LastEvaluatedKey
		if len(got) >= want || lastKey == nil {
			break
		}
		in.ExclusiveStartKey = lastKey
	}
	if len(got) >= want {
		return got[:q.Limit], got[q.Limit-1].ID, nil
	}
	if lastKey == nil {
		return got, "", nil
	}
	// Out of page budget: continue after the last item DynamoDB looked at.
	sk, _ := lastKey[api.TableSortKey].(*types.AttributeValueMemberS)
	if sk == nil || !strings.HasPrefix(sk.Value, notePrefix) {
		return nil, "", errors.New("query notes: unexpected LastEvaluatedKey")
	}
	return got, strings.TrimPrefix(sk.Value, notePrefix), nil
}

// PutNote implements notes.Store.
func (st *Store) PutNote(ctx context.Context, owner string, nt notes.Note) error {
	item := encodeNote(owner, nt)
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(st.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#sk)"),
		ExpressionAttributeNames: map[string]string{"#sk": api.TableSortKey},
	})
	if isConditionFailed(err) {
		return notes.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("put note: %w", err)
	}
	return nil
}

// UpdateNote implements notes.Store with one conditional UpdateItem. When the condition
// fails it reads the item (consistently) to tell a missing note (404) from a stale
// version (412), whose error carries the note as it is now.
func (st *Store) UpdateNote(ctx context.Context, owner, id string, in notes.Input, updatedAt time.Time, ifVersion int64) (notes.Note, error) {
	names := map[string]string{
		"#sk": api.TableSortKey, "#t": attrTitle, "#b": attrBody, "#g": attrTags,
		"#u": attrUpdatedAt, "#v": attrVersion,
	}
	values := map[string]types.AttributeValue{
		":t": s(in.Title), ":b": s(in.Body), ":g": tagsValue(in.Tags),
		":u": s(notes.FormatTime(updatedAt)), ":one": n(1),
	}
	cond := "attribute_exists(#sk)"
	if ifVersion > 0 {
		cond += " AND #v = :expected"
		values[":expected"] = n(ifVersion)
	}
	out, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(owner, notePrefix+id),
		UpdateExpression:          aws.String("SET #t = :t, #b = :b, #g = :g, #u = :u, #v = #v + :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		current, gerr := st.GetNote(ctx, owner, id)
		if gerr != nil {
			return notes.Note{}, gerr // ErrNotFound, or a read failure
		}
		return notes.Note{}, &notes.VersionMismatchError{Current: current}
	}
	if err != nil {
		return notes.Note{}, fmt.Errorf("update note: %w", err)
	}
	return decodeNote(out.Attributes)
}

// DeleteNote implements notes.Store; an unconditional delete is naturally idempotent.
func (st *Store) DeleteNote(ctx context.Context, owner, id string) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(st.table),
		Key:       key(owner, notePrefix+id),
	})
	if err != nil {
		return fmt.Errorf("delete note: %w", err)
	}
	return nil
}

// GetIdempotency implements notes.Store.
func (st *Store) GetIdempotency(ctx context.Context, owner, k string) (notes.Idempotency, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(st.table),
		Key:            key(owner, idemPrefix+k),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return notes.Idempotency{}, fmt.Errorf("get idempotency record: %w", err)
	}
	if out.Item == nil {
		return notes.Idempotency{}, notes.ErrNotFound
	}
	return decodeIdempotency(k, out.Item)
}

// PutIdempotency implements notes.Store. The condition lets a record whose TTL passed be
// overwritten even if DynamoDB has not deleted it yet (TTL deletion lags by hours), and
// lets the SDK's retry of this very write (same attempt, still pending) succeed when
// DynamoDB applied the first try but its answer was lost. The item is the same on every
// try, so overwriting it changes nothing.
func (st *Store) PutIdempotency(ctx context.Context, owner string, rec notes.Idempotency, now time.Time) error {
	noteJSON, err := jsonenc.Marshal(rec.Note)
	if err != nil {
		return fmt.Errorf("encode idempotency record: %w", err)
	}
	item := key(owner, idemPrefix+rec.Key)
	item[attrHash] = s(rec.RequestHash)
	item[attrNote] = s(string(noteJSON))
	item[attrState] = s(string(statePending))
	item[attrCreatedAt] = s(notes.FormatTime(rec.CreatedAt))
	item[api.TableTTLAttribute] = n(rec.ExpiresAt.Unix())
	cond := "attribute_not_exists(#sk) OR #exp <= :now"
	names := map[string]string{"#sk": api.TableSortKey, "#exp": api.TableTTLAttribute}
	values := map[string]types.AttributeValue{":now": n(now.Unix())}
	if !rec.LockedUntil.IsZero() {
		item[attrLocked] = s(notes.FormatTime(rec.LockedUntil))
	}
	if rec.Attempt != "" {
		item[attrAttempt] = s(rec.Attempt)
		cond += " OR (#att = :att AND #st = :pending)"
		names["#att"], names["#st"] = attrAttempt, attrState
		values[":att"], values[":pending"] = s(rec.Attempt), s(string(statePending))
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(st.table),
		Item:                      item,
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return notes.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("put idempotency record: %w", err)
	}
	return nil
}

// CompleteIdempotency implements notes.Store.
func (st *Store) CompleteIdempotency(ctx context.Context, owner, k string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(owner, idemPrefix+k),
		UpdateExpression:          aws.String("SET #st = :done"),
		ConditionExpression:       aws.String("attribute_exists(#sk)"),
		ExpressionAttributeNames:  map[string]string{"#st": attrState, "#sk": api.TableSortKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":done": s(string(stateDone))},
	})
	if err != nil {
		return fmt.Errorf("complete idempotency record: %w", err)
	}
	return nil
}

// ReleaseIdempotency implements notes.Store: it moves the lock of the attempt's own
// pending record to `at`. Repeating it (the SDK's retry of a release whose answer was
// lost) changes nothing more.
func (st *Store) ReleaseIdempotency(ctx context.Context, owner, k, attempt string, at time.Time) error {
	if attempt == "" {
		return notes.ErrConflict // records without an attempt belong to no one
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 key(owner, idemPrefix+k),
		UpdateExpression:    aws.String("SET #lu = :at"),
		ConditionExpression: aws.String("#att = :att AND #st = :pending"),
		ExpressionAttributeNames: map[string]string{
			"#lu": attrLocked, "#att": attrAttempt, "#st": attrState,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": s(notes.FormatTime(at)), ":att": s(attempt), ":pending": s(string(statePending)),
		},
	})
	if isConditionFailed(err) {
		return notes.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("release idempotency record: %w", err)
	}
	return nil
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func tagsValue(tags []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(tags))
	for i, t := range tags {
		l[i] = s(t)
	}
	return &types.AttributeValueMemberL{Value: l}
}

func encodeNote(owner string, nt notes.Note) map[string]types.AttributeValue {
	item := key(owner, notePrefix+nt.ID)
	item[attrID] = s(nt.ID)
	item[attrTitle] = s(nt.Title)
	item[attrBody] = s(nt.Body)
	item[attrTags] = tagsValue(nt.Tags)
	item[attrCreatedAt] = s(notes.FormatTime(nt.CreatedAt.Time))
	item[attrUpdatedAt] = s(notes.FormatTime(nt.UpdatedAt.Time))
	item[attrVersion] = n(nt.Version)
	return item
}

// decodeNote reads an item written by encodeNote (or by an older version, whose times
// had no fixed width). A malformed item is an error (a 500), not a note with zero fields.
func decodeNote(item map[string]types.AttributeValue) (notes.Note, error) {
	var nt notes.Note
	var errs []error
	str := func(name string) string {
		v, ok := item[name].(*types.AttributeValueMemberS)
		if !ok {
			errs = append(errs, fmt.Errorf("attribute %s missing or not a string", name))
			return ""
		}
		return v.Value
	}
	tm := func(name string) time.Time {
		t, err := notes.ParseTime(str(name)) // also the variable-width times of older items
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", name, err))
		}
		return t
	}
	nt.ID = str(attrID)
	nt.Title = str(attrTitle)
	nt.Body = str(attrBody)
	nt.CreatedAt = notes.At(tm(attrCreatedAt))
	nt.UpdatedAt = notes.At(tm(attrUpdatedAt))
	if v, ok := item[attrVersion].(*types.AttributeValueMemberN); ok {
		ver, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s: %w", attrVersion, err))
		}
		nt.Version = ver
	} else {
		errs = append(errs, fmt.Errorf("attribute %s missing or not a number", attrVersion))
	}
	nt.Tags = []string{}
	if l, ok := item[attrTags].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if t, ok := v.(*types.AttributeValueMemberS); ok {
				nt.Tags = append(nt.Tags, t.Value)
			}
		}
	}
	if len(errs) > 0 {
		return notes.Note{}, fmt.Errorf("decode note: %w", errors.Join(errs...))
	}
	return nt, nil
}

func decodeIdempotency(k string, item map[string]types.AttributeValue) (notes.Idempotency, error) {
	rec := notes.Idempotency{Key: k}
	get := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	rec.RequestHash = get(attrHash)
	rec.Done = recordState(get(attrState)) == stateDone
	if err := json.Unmarshal([]byte(get(attrNote)), &rec.Note); err != nil {
		return notes.Idempotency{}, fmt.Errorf("decode idempotency record: %w", err)
	}
	created, err := notes.ParseTime(get(attrCreatedAt))
	if err != nil {
		return notes.Idempotency{}, fmt.Errorf("decode idempotency record: %w", err)
	}
	rec.CreatedAt = created
	rec.Attempt = get(attrAttempt)
	if v := get(attrLocked); v != "" {
		locked, err := notes.ParseTime(v)
		if err != nil {
			return notes.Idempotency{}, fmt.Errorf("decode idempotency record: %w", err)
		}
		rec.LockedUntil = locked
	}
	if v, ok := item[api.TableTTLAttribute].(*types.AttributeValueMemberN); ok {
		sec, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return notes.Idempotency{}, fmt.Errorf("decode idempotency record: %w", err)
		}
		rec.ExpiresAt = time.Unix(sec, 0).UTC()
	}
	return rec, nil
}
