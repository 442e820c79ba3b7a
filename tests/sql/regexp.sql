-- regexp(pattern, text), the REGEXP operator, regexp_like/count/substr (text, pattern[, flags]).
-- Each row must end in |1. run.sh loads the extension first.

-- NULL in, NULL out
select 'null-1.1', regexp('x', NULL) IS NULL;
select 'null-1.2', regexp(NULL, 'x') IS NULL;
select 'null-1.3', (NULL REGEXP 'x') IS NULL;
select 'null-1.4', regexp_count(NULL, 'a') IS NULL;
select 'null-1.5', regexp_count('a', NULL) IS NULL;
select 'null-1.6', regexp_substr(NULL, 'a') IS NULL;
select 'null-1.7', regexp_substr('a', NULL) IS NULL;
select 'null-1.8', regexp_count('a', 'a', NULL) IS NULL;
select 'null-1.9', regexp_like(NULL, 'a') IS NULL;

-- regexp and the operator: SQLite calls regexp(pattern, text) for `text REGEXP pattern`
select 'regexp-1.1', regexp('^Q[0-9]', 'Q3 plan') = 1;
select 'regexp-1.2', regexp('^plan', 'Q3 plan') = 0;
select 'regexp-1.3', ('Q3 plan' REGEXP 'plan$') = 1;
select 'regexp-1.4', ('Q3 plan' REGEXP '^plan') = 0;
select 'regexp-1.5', (SELECT count(*) FROM (SELECT 'price' AS t UNION ALL SELECT 'cost' UNION ALL SELECT 'pricing') WHERE t REGEXP '^pric') = 2;
select 'regexp-1.6', regexp('', '') = 1;
select 'regexp-1.7', regexp('x*', '') = 1;
select 'regexp-1.8', regexp('\bprice\b', 'pricey') = 0;
select 'regexp-1.9', regexp('\bprice\b', 'the price!') = 1;
select 'regexp-1.10', regexp('a.c', 'a' || char(10) || 'c') = 0;   -- . does not match a newline
select 'regexp-1.11', regexp('(?s)a.c', 'a' || char(10) || 'c') = 1;
select 'regexp-1.12', regexp('^b', 'a' || char(10) || 'b') = 0;    -- ^ anchors at the text's start
select 'regexp-1.13', regexp('3', 123) = 1;                       -- numbers are read as text
select 'regexp-1.14', regexp('b', 'a' || char(0) || 'b') IN (0, 1); -- never crashes on NUL
select 'regexp-1.15', regexp_like('Q3 plan', 'PLAN') = 0;
select 'regexp-1.16', regexp_like('Q3 plan', 'PLAN', 'i') = 1;
select 'regexp-1.17', regexp_like('Q3 plan', 'PLAN', 'ic') = 0;  -- the last flag wins

-- PCRE2, not the shell's own regexp: \p{..}, lookaround, inline flags
select 'pcre-1.1', regexp('^\p{Han}+$', '价格') = 1;
select 'pcre-1.2', regexp('price(?= list)', 'price list') = 1;
select 'pcre-1.3', regexp('(?<!no )discount', 'no discount') = 0;
select 'pcre-1.4', regexp('(?i)ACME', 'acme corp') = 1;
select 'pcre-1.5', regexp('^(\w+) \1$', 'bye bye') = 1;

-- Unicode: UTF-8 patterns, matching by code point
select 'utf8-1.1', regexp('^.$', '😀') = 1;
select 'utf8-1.2', regexp('^.$', 'é') = 1;
select 'utf8-1.3', regexp('^..$', '价格') = 1;
select 'utf8-1.4', regexp('^...$', 'été') = 1;
select 'utf8-1.5', regexp('^\w+$', 'café') = 1;                  -- UCP: é is a word character
select 'utf8-1.6', regexp('caf\b', 'café') = 0;                  -- and no word boundary inside
select 'utf8-1.7', regexp('ÉTÉ', 'un été') = 0;
select 'utf8-1.8', regexp('(?i)ÉTÉ', 'un été') = 1;
select 'utf8-1.9', regexp_like('un été', 'ÉTÉ', 'i') = 1;
select 'utf8-1.10', regexp_count('😀a😀', '😀') = 2;
select 'utf8-1.11', regexp_substr('prix: 12€', '\d+€') = '12€';
select 'utf8-1.12', regexp_count('😀é', '') = 3;                  -- one empty match per boundary
select 'utf8-1.13', regexp('[à-ü]', 'naïve') = 1;
select 'utf8-1.14', length(regexp_substr('日本語テキスト', '\p{Katakana}+')) = 4;
-- invalid UTF-8 in the text never matches (and never crashes)
select 'utf8-2.1', regexp('.', CAST(x'ff' AS TEXT)) = 0;
select 'utf8-2.2', regexp('', CAST(x'c3' AS TEXT)) = 0;
select 'utf8-2.3', regexp_count(CAST(x'61eda080' AS TEXT), 'a') = 0;
select 'utf8-2.4', regexp_substr(CAST(x'61c0af' AS TEXT), 'a') IS NULL;
select 'utf8-2.5', regexp('a', CAST(x'61' AS TEXT)) = 1;

-- caseless
select 'case-1.1', regexp('PRICE', 'price') = 0;
select 'case-1.2', regexp('(?i)PRICE', 'price') = 1;
select 'case-1.3', regexp_count('Price PRICE price', 'price', 'i') = 3;
select 'case-1.4', regexp_count('Price PRICE price', 'price') = 1;
select 'case-1.5', regexp_count('Price PRICE price', 'price', 'c') = 1;
select 'case-1.6', regexp_count('Price PRICE price', 'price', '') = 1;
select 'case-1.7', regexp_substr('a Discount!', 'discount', 'i') = 'Discount';
select 'case-1.8', regexp_like('Kelvin: ' || char(8490), 'k$', 'i') = 1;   -- U+212A KELVIN SIGN
select 'case-1.9', regexp_like(char(383) || 'ale', 'sale', 'i') = 1;        -- U+017F long s

-- anchors
select 'anchor-1.1', regexp('^abc$', 'abc') = 1;
select 'anchor-1.2', regexp('^abc$', 'abcd') = 0;
select 'anchor-1.3', regexp('^$', '') = 1;
select 'anchor-1.4', regexp('\Aab', 'abab') = 1;
select 'anchor-1.5', regexp('ab\z', 'abab') = 1;
select 'anchor-1.6', regexp_count('abab', '^ab') = 1;
select 'anchor-1.7', regexp_count('abab', 'ab$') = 1;

-- regexp_count: non-overlapping matches, empty matches counted as Perl and Python do
select 'count-1.1', regexp_count('banana', 'a') = 3;
select 'count-1.2', regexp_count('banana', 'ana') = 1;
select 'count-1.3', regexp_count('banana', 'x') = 0;
select 'count-1.4', regexp_count('axb', 'x*') = 4;
select 'count-1.5', regexp_count('', '') = 1;
select 'count-1.6', regexp_count('abc', '') = 4;
select 'count-1.7', regexp_count('Pricing? The PRICE, a discount, discounts, price.', '\b(price|pricing|discount)\b', 'i') = 4;
select 'count-1.8', typeof(regexp_count('a', 'a')) = 'integer';
select 'count-1.10', regexp_count(replace(hex(zeroblob(150000)), '0', 'ab'), '(a|b)*') = 2;  -- a 600 KB match
select 'count-1.9', regexp_count(replace(hex(zeroblob(50000)), '0', 'ab '), 'ab') = 100000;

-- regexp_substr: the first match, NULL for none, '' for an empty match
select 'substr-1.1', regexp_substr('Q3 plan for Q4', 'Q[0-9]') = 'Q3';
select 'substr-1.2', regexp_substr('no digits', '[0-9]+') IS NULL;
select 'substr-1.3', regexp_substr('abc', 'x*') = '';
select 'substr-1.4', regexp_substr('call me at 555-1234 ok', '\d{3}-\d{4}') = '555-1234';
select 'substr-1.5', regexp_substr('price: $1,200.50 total', '\$[\d,]+(\.\d+)?') = '$1,200.50';
select 'substr-1.6', regexp_substr('aaa', 'a+?') = 'a';

-- a constant pattern is compiled once per statement and stays right across rows
select 'cache-1.1', (SELECT sum(regexp('^[0-9]+$', value)) FROM json_each('["1","a","22","b3","333"]')) = 3;
select 'cache-1.2', (SELECT group_concat(regexp_count(value, 'a', f), ',') FROM (SELECT value, CASE WHEN key % 2 THEN 'i' ELSE '' END AS f FROM json_each('["aA","aA","aA","aA"]'))) = '1,2,1,2';
select 'cache-1.3', (SELECT group_concat(regexp(p, 'abc'), ',') FROM (SELECT value AS p FROM json_each('["a","x","c$","^b"]'))) = '1,0,1,0';
