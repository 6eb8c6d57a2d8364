// Package codec encrypts the payloads irflow's workflows carry (facts, titles,
// notes, timelines: personal data) with AES-256-GCM before they reach Temporal,
// so Temporal's history, its database and its backups hold ciphertext. It is a
// converter.PayloadCodec: every Temporal client irflow dials (dev, worker, serve
// and the CLI in operator mode) uses it when IRFLOW_CODEC_KEYS is set, and
// `irflow codec-server` serves the same codec over HTTP so the official Temporal
// UI and CLI can show the payloads to the people given its token.
//
// Keys and rotation: IRFLOW_CODEC_KEYS is a comma-separated list of
// KEY_ID:BASE64_KEY (32 bytes each). The first key encrypts; every key listed
// decrypts, by the key id each payload records. To rotate, put the new key first
// and keep the old ones after it until no running workflow or retained history
// needs them (the namespace's retention, 30 days by default, after the last
// workflow started under the old key has closed).
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// Encoding marks a payload this codec encrypted.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
	// EnvKeys is the environment variable holding the keys.
	EnvKeys = "IRFLOW_CODEC_KEYS"
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Codec is an AES-256-GCM converter.PayloadCodec with a current key and older
// keys that still decrypt.
type Codec struct {
	current string
	aeads   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// ParseKeys builds a Codec from "id:base64key[,id:base64key...]"; the first key
// encrypts. Errors name the entry that is wrong, never the key material.
func ParseKeys(spec string) (*Codec, error) {
	c := &Codec{aeads: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		id, b64, ok := strings.Cut(entry, ":")
		if !ok || !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("%s entry %d: want KEY_ID:BASE64_KEY with a key id of letters, digits, '.', '_' or '-'", EnvKeys, i+1)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("%s key %q: not base64", EnvKeys, id)
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("%s key %q: %d bytes, want 32 (AES-256; make one with: head -c 32 /dev/urandom | base64)", EnvKeys, id, len(key))
		}
		if _, dup := c.aeads[id]; dup {
			return nil, fmt.Errorf("%s key %q: listed twice", EnvKeys, id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("%s key %q: %w", EnvKeys, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%s key %q: %w", EnvKeys, id, err)
		}
		c.aeads[id] = aead
		if i == 0 {
			c.current = id
		}
	}
	return c, nil
}

// FromEnv returns the codec IRFLOW_CODEC_KEYS configures, or nil when it is unset
// (payloads then travel in clear, as before).
func FromEnv(getenv func(string) string) (*Codec, error) {
	spec := strings.TrimSpace(getenv(EnvKeys))
	if spec == "" {
		return nil, nil
	}
	return ParseKeys(spec)
}

// KeyID is the id of the key that encrypts.
func (c *Codec) KeyID() string { return c.current }

// Encode encrypts each payload whole (metadata and data) under the current key;
// the key id and the encoding stay in clear so Decode can pick the key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	aead := c.aeads[c.current]
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.current),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec encrypted, with the key each names,
// and passes others through (histories written before encryption was turned on).
// A payload under a key it does not hold, or altered, is an error naming the key
// id.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("decrypt payload: encrypted with key %q, which %s does not hold (keep retired keys listed until their histories are gone)", id, EnvKeys)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, fmt.Errorf("decrypt payload (key %q): too short", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("decrypt payload (key %q): %w", id, errors.New("authentication failed: wrong key or altered payload"))
		}
		var q commonpb.Payload
		if err := proto.Unmarshal(plain, &q); err != nil {
			return nil, fmt.Errorf("decrypt payload (key %q): decode: %w", id, err)
		}
		out[i] = &q
	}
	return out, nil
}

// DataConverter is Temporal's default data converter with this codec applied.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}
