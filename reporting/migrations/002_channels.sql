-- Message templates, one row per template id and locale. title is the push
-- title, subject and html the email's subject and HTML part; body is the
-- text every channel sends. Fields are Go templates over the user's
-- attributes and the journey's offer.
CREATE TABLE templates (
	id          text NOT NULL,
	locale      text NOT NULL,
	title       text NOT NULL DEFAULT '',
	subject     text NOT NULL DEFAULT '',
	body        text NOT NULL,
	html        text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (id, locale)
);

-- What a user reads and where they may be reached: the locale chooses the
-- template's language, unsubscribed lists the channels the user opted out
-- of, and push_token_invalid_at is set when FCM said the token is dead (a
-- new token clears it).
ALTER TABLE users
	ADD COLUMN locale                 text NOT NULL DEFAULT '',
	ADD COLUMN unsubscribed           text[] NOT NULL DEFAULT '{}',
	ADD COLUMN push_token_invalid_at  timestamptz;

-- The copy the cart-abandonment journey ships with, in English and Persian.
-- It is seeded here rather than kept in code so that the table is the one
-- place a message comes from: GET /v1/templates shows what will be sent and
-- a PUT edits the shipped copy in place.
INSERT INTO templates (id, locale, title, subject, body, html) VALUES
('cart_offer', 'en',
 'Still thinking it over?',
 '{{.Offer.DiscountPercent}}% off what is in your cart',
 '{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}our cart is waiting. Use code {{.Offer.Code}} for {{.Offer.DiscountPercent}}% off and complete your order.',
 '<p>{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}our cart is waiting.</p>
<p>Use code <strong>{{.Offer.Code}}</strong> for {{.Offer.DiscountPercent}}% off and complete your order.</p>'),
('cart_offer', 'fa',
 'هنوز به خریدتان فکر می‌کنید؟',
 '{{.Offer.DiscountPercent}} درصد تخفیف برای سبد خرید شما',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}کالاهایی که انتخاب کرده‌اید هنوز در سبد خریدتان منتظر شما هستند. با کد {{.Offer.Code}}، {{.Offer.DiscountPercent}} درصد تخفیف بگیرید و خریدتان را تکمیل کنید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}کالاهایی که انتخاب کرده‌اید هنوز در سبد خریدتان منتظر شما هستند.</p>
<p>با کد <strong>{{.Offer.Code}}</strong>، {{.Offer.DiscountPercent}} درصد تخفیف بگیرید و خریدتان را تکمیل کنید.</p>
</div>'),
('cart_final_offer', 'en',
 'Last chance: {{.Offer.DiscountPercent}}% off plus cashback',
 'Last chance: {{.Offer.DiscountPercent}}% off plus {{.Offer.CashbackPercent}}% cashback',
 '{{with .User.first_name}}{{.}}, t{{else}}T{{end}}his is our last reminder: use code {{.Offer.Code}} for {{.Offer.DiscountPercent}}% off your cart and get {{.Offer.CashbackPercent}}% back.',
 '<p>{{with .User.first_name}}{{.}}, t{{else}}T{{end}}his is our last reminder.</p>
<p>Use code <strong>{{.Offer.Code}}</strong> for {{.Offer.DiscountPercent}}% off your cart and get {{.Offer.CashbackPercent}}% back.</p>'),
('cart_final_offer', 'fa',
 'آخرین فرصت: تخفیف به‌همراه بازگشت وجه',
 'آخرین فرصت: {{.Offer.DiscountPercent}} درصد تخفیف و {{.Offer.CashbackPercent}} درصد بازگشت وجه',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}این آخرین یادآوری ماست: با کد {{.Offer.Code}}، برای سبد خریدتان {{.Offer.DiscountPercent}} درصد تخفیف بگیرید و {{.Offer.CashbackPercent}} درصد مبلغ خرید را پس بگیرید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}این آخرین یادآوری ماست.</p>
<p>با کد <strong>{{.Offer.Code}}</strong>، برای سبد خریدتان {{.Offer.DiscountPercent}} درصد تخفیف بگیرید و {{.Offer.CashbackPercent}} درصد مبلغ خرید را پس بگیرید.</p>
</div>');
