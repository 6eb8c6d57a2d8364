package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEncryptRotateDecode: payloads are encrypted under the first key, with its
// id in clear and nothing of the plaintext; after a rotation (new key first, old
// key kept) both old and new payloads decode; without the old key, or with an
// altered payload, decoding fails naming the key id; clear payloads pass.
func TestEncryptRotateDecode(t *testing.T) {
	old, err := ParseKeys("k1:" + key(1))
	if err != nil {
		t.Fatal(err)
	}
	secret := map[string]string{"title": "Maya Lopez account takeover", "email": "maya@example.com"}
	enc, err := old.Encode([]*commonpb.Payload{payload(t, secret)})
	if err != nil {
		t.Fatal(err)
	}
	if string(enc[0].Metadata["encoding"]) != Encoding || string(enc[0].Metadata[MetadataKeyID]) != "k1" ||
		bytes.Contains(enc[0].Data, []byte("Maya")) || bytes.Contains(enc[0].Data, []byte("json/plain")) {
		t.Fatalf("not encrypted: %v %q", enc[0].Metadata, enc[0].Data)
	}
	rotated, err := ParseKeys("k2:" + key(2) + ", k1:" + key(1))
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := rotated.Encode([]*commonpb.Payload{payload(t, secret)})
	if string(enc2[0].Metadata[MetadataKeyID]) != "k2" {
		t.Fatalf("rotated codec encrypts with %q", enc2[0].Metadata[MetadataKeyID])
	}
	clear := payload(t, "not secret")
	dec, err := rotated.Decode([]*commonpb.Payload{enc[0], enc2[0], clear})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range dec[:2] {
		var got map[string]string
		if err := converter.GetDefaultDataConverter().FromPayload(p, &got); err != nil || got["email"] != "maya@example.com" {
			t.Fatalf("decoded %v %v", got, err)
		}
	}
	if dec[2] != clear {
		t.Error("a clear payload was not passed through")
	}
	newOnly, _ := ParseKeys("k2:" + key(2))
	if _, err := newOnly.Decode(enc); err == nil || !strings.Contains(err.Error(), `key "k1"`) {
		t.Errorf("decoding without the old key: %v", err)
	}
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	if _, err := old.Decode(enc); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("an altered payload: %v", err)
	}
}

func TestParseKeysErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"nokey":         "want KEY_ID:BASE64_KEY",
		"k1:notbase64!": "not base64",
		"k1:" + base64.StdEncoding.EncodeToString([]byte("short")): "want 32",
		"k1:" + key(1) + ",k1:" + key(2):                           "listed twice",
		"bad id:" + key(1):                                         "key id",
	} {
		_, err := ParseKeys(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
		if err != nil && strings.Contains(err.Error(), key(1)) {
			t.Errorf("%q: the error shows the key", spec)
		}
	}
}

// TestHandlerNeedsTheToken: the codec endpoint decodes for the token holder
// only, in the remote codec protocol the Temporal UI and CLI speak.
func TestHandlerNeedsTheToken(t *testing.T) {
	c, _ := ParseKeys("k1:" + key(1))
	enc, _ := c.Encode([]*commonpb.Payload{payload(t, "Maya Lopez")})
	srv := httptest.NewServer(Handler(c, "s3cret-token-0123456789", "http://localhost:8233"))
	defer srv.Close()
	body, _ := json.Marshal(map[string]any{"payloads": []map[string]any{{
		"metadata": map[string]string{"encoding": base64.StdEncoding.EncodeToString(enc[0].Metadata["encoding"]),
			MetadataKeyID: base64.StdEncoding.EncodeToString(enc[0].Metadata[MetadataKeyID])},
		"data": base64.StdEncoding.EncodeToString(enc[0].Data),
	}}})
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer s3cret-token-0123456789", 200}} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Payloads []struct {
				Data string `json:"data"`
			} `json:"payloads"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("auth %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
		if tc.want == 200 {
			plain, _ := base64.StdEncoding.DecodeString(out.Payloads[0].Data)
			if len(out.Payloads) != 1 || !strings.Contains(string(plain), "Maya Lopez") {
				t.Fatalf("decoded %+v", out)
			}
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8233" {
			t.Errorf("no CORS header for the UI")
		}
	}
}
