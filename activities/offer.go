package activities

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
)

// Offer is what a journey offers the user: the numbers its templates show
// and the prefix of the discount code each enrollment gets.
type Offer struct {
	DiscountPercent int
	CashbackPercent int
	CodePrefix      string
}

// DefaultOffer is the offer of a journey whose config names none.
var DefaultOffer = Offer{DiscountPercent: 10, CashbackPercent: 5, CodePrefix: "CART"}

// codeEncoding spells codes without the look-alikes 0, O, 1 and I.
var codeEncoding = base32.NewEncoding("23456789ABCDEFGHJKLMNPQRSTUVWXYZ").WithPadding(base32.NoPadding)

// OfferCode returns the discount code of one enrollment: prefix, a dash and
// eight characters of an HMAC of the run's workflow id and enrollment id
// under secret. It is derived, not drawn, so every attempt and every touch
// of the enrollment shows the same code, and a later enrollment of the same
// user gets another; without the secret nobody can work out a code.
func OfferCode(secret []byte, prefix, workflowID string, enrollmentID int64) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%s/%d", workflowID, enrollmentID)
	code := codeEncoding.EncodeToString(mac.Sum(nil)[:5])
	if prefix == "" {
		return code
	}
	return prefix + "-" + code
}
