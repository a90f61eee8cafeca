-- Journey controls. send_window holds sends to waking hours in each user's
-- time zone (NULL: the journey type's default, else any hour);
-- transactional exempts the journey from frequency caps; match_property
-- names the property of the entry event that correlates later events with
-- a run (such as cart_id); listened_events are the events the journey's
-- runs wait for besides the goal and exits, from its config, so that an
-- event reaches only the runs that listen for it.
ALTER TABLE journeys
	ADD COLUMN send_window      jsonb,
	ADD COLUMN transactional    boolean NOT NULL DEFAULT false,
	ADD COLUMN match_property   text NOT NULL DEFAULT '',
	ADD COLUMN listened_events  text[] NOT NULL DEFAULT '{}';

-- A run's correlation, fixed when it starts: the journey's match property
-- then and the entry event's value of it ('' for runs without one, which
-- every event of theirs reaches).
ALTER TABLE enrollments
	ADD COLUMN match_property  text NOT NULL DEFAULT '',
	ADD COLUMN match_value     text NOT NULL DEFAULT '';

-- The copy the welcome_series and winback journey types ship with, as
-- cart_abandonment's came with 002: a PUT edits it in place.
INSERT INTO templates (id, locale, title, subject, body, html) VALUES
('welcome', 'en',
 'Welcome aboard',
 'Welcome{{with .User.first_name}}, {{.}}{{end}}!',
 'Welcome{{with .User.first_name}}, {{.}}{{end}}! We are glad you are here. Open the app to take your first steps.',
 '<p>Welcome{{with .User.first_name}}, {{.}}{{end}}!</p>
<p>We are glad you are here. Open the app to take your first steps.</p>'),
('welcome', 'fa',
 'خوش آمدید',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}خوش آمدید!',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}خوش آمدید! خوشحالیم که به ما پیوستید. برای برداشتن اولین قدم‌ها برنامه را باز کنید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}خوش آمدید!</p>
<p>خوشحالیم که به ما پیوستید. برای برداشتن اولین قدم‌ها برنامه را باز کنید.</p>
</div>'),
('welcome_tips', 'en',
 'Three tips to get more out of it',
 'Three tips to get more out of it',
 '{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}ou are off to a great start. Here are three tips to get more out of it: save your favourites, turn on alerts for price drops, and check out in one tap.',
 '<p>{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}ou are off to a great start. Three tips to get more out of it:</p>
<ul><li>Save your favourites.</li><li>Turn on alerts for price drops.</li><li>Check out in one tap.</li></ul>'),
('welcome_tips', 'fa',
 'سه نکته برای استفادهٔ بیشتر',
 'سه نکته برای استفادهٔ بیشتر',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}شروع خوبی داشتید. سه نکته برای استفادهٔ بیشتر: موردعلاقه‌هایتان را ذخیره کنید، هشدار کاهش قیمت را روشن کنید و با یک لمس خرید کنید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}شروع خوبی داشتید. سه نکته برای استفادهٔ بیشتر:</p>
<ul><li>موردعلاقه‌هایتان را ذخیره کنید.</li><li>هشدار کاهش قیمت را روشن کنید.</li><li>با یک لمس خرید کنید.</li></ul>
</div>'),
('welcome_reminder', 'en',
 '{{.Offer.DiscountPercent}}% off your first order',
 '{{.Offer.DiscountPercent}}% off your first order',
 '{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}ou have not had a look around yet. Use code {{.Offer.Code}} for {{.Offer.DiscountPercent}}% off your first order.',
 '<p>{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}ou have not had a look around yet.</p>
<p>Use code <strong>{{.Offer.Code}}</strong> for {{.Offer.DiscountPercent}}% off your first order.</p>'),
('welcome_reminder', 'fa',
 '{{.Offer.DiscountPercent}} درصد تخفیف برای اولین خرید',
 '{{.Offer.DiscountPercent}} درصد تخفیف برای اولین خرید',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}هنوز سری به ما نزده‌اید. با کد {{.Offer.Code}}، {{.Offer.DiscountPercent}} درصد تخفیف اولین خریدتان را بگیرید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}هنوز سری به ما نزده‌اید.</p>
<p>با کد <strong>{{.Offer.Code}}</strong>، {{.Offer.DiscountPercent}} درصد تخفیف اولین خریدتان را بگیرید.</p>
</div>'),
('winback_offer', 'en',
 'We miss you: {{.Offer.DiscountPercent}}% off',
 'We miss you: {{.Offer.DiscountPercent}}% off your next order',
 '{{with .User.first_name}}{{.}}, i{{else}}I{{end}}t has been a while. Come back with code {{.Offer.Code}} for {{.Offer.DiscountPercent}}% off your next order.',
 '<p>{{with .User.first_name}}{{.}}, i{{else}}I{{end}}t has been a while.</p>
<p>Come back with code <strong>{{.Offer.Code}}</strong> for {{.Offer.DiscountPercent}}% off your next order.</p>'),
('winback_offer', 'fa',
 'دلمان برایتان تنگ شده: {{.Offer.DiscountPercent}} درصد تخفیف',
 'دلمان برایتان تنگ شده: {{.Offer.DiscountPercent}} درصد تخفیف خرید بعدی',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}مدتی است سری به ما نزده‌اید. با کد {{.Offer.Code}}، {{.Offer.DiscountPercent}} درصد تخفیف خرید بعدی‌تان را بگیرید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}مدتی است سری به ما نزده‌اید.</p>
<p>با کد <strong>{{.Offer.Code}}</strong>، {{.Offer.DiscountPercent}} درصد تخفیف خرید بعدی‌تان را بگیرید.</p>
</div>'),
('winback_vip_offer', 'en',
 'For our best customers: {{.Offer.DiscountPercent}}% off',
 'For our best customers: {{.Offer.DiscountPercent}}% off your next order',
 '{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}ou are one of our best customers, and we miss you. Use code {{.Offer.Code}} for {{.Offer.DiscountPercent}}% off your next order.',
 '<p>{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}ou are one of our best customers, and we miss you.</p>
<p>Use code <strong>{{.Offer.Code}}</strong> for {{.Offer.DiscountPercent}}% off your next order.</p>'),
('winback_vip_offer', 'fa',
 'برای بهترین مشتریان: {{.Offer.DiscountPercent}} درصد تخفیف',
 'برای بهترین مشتریان: {{.Offer.DiscountPercent}} درصد تخفیف خرید بعدی',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}شما از بهترین مشتریان ما هستید و دلمان برایتان تنگ شده. با کد {{.Offer.Code}}، {{.Offer.DiscountPercent}} درصد تخفیف خرید بعدی‌تان را بگیرید.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}شما از بهترین مشتریان ما هستید و دلمان برایتان تنگ شده.</p>
<p>با کد <strong>{{.Offer.Code}}</strong>، {{.Offer.DiscountPercent}} درصد تخفیف خرید بعدی‌تان را بگیرید.</p>
</div>'),
('winback_reminder', 'en',
 'Your {{.Offer.DiscountPercent}}% is still waiting',
 'Your {{.Offer.DiscountPercent}}% off is still waiting',
 '{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}our code {{.Offer.Code}} for {{.Offer.DiscountPercent}}% off is still waiting for you.',
 '<p>{{with .User.first_name}}{{.}}, y{{else}}Y{{end}}our code <strong>{{.Offer.Code}}</strong> for {{.Offer.DiscountPercent}}% off is still waiting for you.</p>'),
('winback_reminder', 'fa',
 '{{.Offer.DiscountPercent}} درصد تخفیف شما هنوز منتظر است',
 '{{.Offer.DiscountPercent}} درصد تخفیف شما هنوز منتظر است',
 '{{with .User.first_name}}{{.}} عزیز، {{end}}کد {{.Offer.Code}} با {{.Offer.DiscountPercent}} درصد تخفیف هنوز منتظر شماست.',
 '<div dir="rtl" lang="fa">
<p>{{with .User.first_name}}{{.}} عزیز، {{end}}کد <strong>{{.Offer.Code}}</strong> با {{.Offer.DiscountPercent}} درصد تخفیف هنوز منتظر شماست.</p>
</div>')
ON CONFLICT (id, locale) DO NOTHING;
