// lode: the terms of critical-minerals trade agreements.
// Every alternative is labelled so that the AST builder (compiler/syntax/ast_builder.cpp) has one
// visitor method per construct. The parse tree never leaves compiler/syntax.
grammar Lode;

@parser::members {
  // A word after a number is a unit only if it is one: this keeps `5 exporter: ...` from reading
  // `exporter` as a unit. The list matches runtime/units.cpp plus the duration words.
  static bool isUnitWord(const std::string& w) {
    static const char* const kWords[] = {"t", "kg", "g", "mg", "lb", "mAh", "Ah", "Wh", "kWh", "MWh",
      "l", "m3", "tCO2", "kgCO2", "pcs", "day", "days", "month", "months", "year", "years"};
    for (const char* k : kWords) if (w == k) return true;
    return w.size() == 3 && w[0] >= 'A' && w[0] <= 'Z' && w[1] >= 'A' && w[1] <= 'Z' && w[2] >= 'A' && w[2] <= 'Z';
  }
}

file : decl* EOF ;

decl
  : agreementDecl
  | useDecl
  | groupDecl
  | partiesDecl
  | attributeDecl
  | scopeDecl
  | seriesDecl
  | letDecl
  | scheduleDecl
  | registryDecl
  | originRule
  | measureDecl
  | combineBlock
  | quotaDecl
  | classifyDecl
  | exampleDecl
  | countryDecl
  | enumerationDecl
  ;

// ---- 1. header -------------------------------------------------------------------------------
agreementDecl : AGREEMENT STRING LBRACE headerItem* RBRACE ;

headerItem
  : VERSION STRING                                              # HeaderVersion
  | LEGAL STRING (COMMA STRING)*                                # HeaderLegal
  | CURRENCY IDENT                                              # HeaderCurrency
  | ROUNDING IDENT TO quantityLit (PER IDENT | ON TOTAL)        # HeaderRounding
  | IN FORCE FROM DATE (UNTIL DATE)?                            # HeaderInForce
  ;

useDecl : USE (modulePath | STRING) ;
modulePath : IDENT (DOT IDENT)* ;

// ---- 2. parties and groups -------------------------------------------------------------------
// `country CN "China"`: the stdlib declares every ISO 3166-1 code this way (generated from iso-codes).
countryDecl : COUNTRY IDENT STRING ;
// `enumeration mineral { graphite, lithium }`: the enumerations named mineral, node and element type
// the standard shipment fields of the same names and the argument of contained(...).
enumerationDecl : ENUMERATION IDENT LBRACE IDENT (COMMA IDENT)* COMMA? RBRACE ;

// `group ree: mineral = [...]` is a set of values of an enumeration; without a type, of countries.
groupDecl : GROUP IDENT (COLON IDENT)? ASSIGN groupExpr ;

groupExpr
  : groupExpr op=(PLUS | MINUS | AMP) groupExpr                 # GroupBinary
  | LBRACK (member (COMMA member)*)? RBRACK                     # GroupList
  | (IDENT | PARTIES)                                           # GroupRef
  | LPAREN groupExpr RPAREN                                     # GroupParen
  ;

member : IDENT (FROM DATE)? (UNTIL DATE)? ;

// parties { bloc: USMCA, EU27  processing_partner: JP, KR }: defines `parties` and one group per role.
partiesDecl : PARTIES LBRACE partyRole* RBRACE ;
partyRole   : IDENT COLON member (COMMA member)* ;

// ---- 3/4. attributes and scopes --------------------------------------------------------------
attributeDecl : ATTRIBUTE IDENT COLON typeRef (DEFAULT expr)? ;

typeRef
  : ONE OF LBRACE IDENT (COMMA IDENT)* RBRACE                   # TypeEnum
  | typeAtom ((SLASH | STAR) typeAtom)*                         # TypeNamed
  ;
typeAtom : IDENT | PERCENT | COUNTRY ;

// The predicate sits at the left edge of unitTail so it takes part in the loop decision:
// `4550 USD/t * phase` stops the unit before `* phase`.
unitExpr : unitAtom unitTail* ;
unitTail : {_input->LA(2) == PERCENT || isUnitWord(_input->LT(2)->getText())}? (SLASH | STAR) unitAtom ;
unitAtom : {isUnitWord(getCurrentToken()->getText())}? IDENT | PERCENT ;

scopeDecl : SCOPE IDENT ASSIGN nameList (AT nameList)? (WHERE expr)? ;
nameList  : IDENT (PIPE IDENT)* ;

// ---- 5/6. market series, definitions, schedules ----------------------------------------------
seriesDecl : SERIES IDENT ASSIGN STRING IN typeRef ;

letDecl : (LET | REFERENCE) IDENT (COLON typeRef)? ASSIGN expr ;

scheduleDecl : SCHEDULE IDENT COLON typeRef ASSIGN kind=IDENT LBRACE schedulePoint (COMMA? schedulePoint)* RBRACE ;
schedulePoint
  : DATE COLON expr                                             # PointAt
  | BEFORE COLON expr                                           # PointBefore
  ;

// ---- 11. registries --------------------------------------------------------------------------
registryDecl
  : REGISTRY IDENT COLON IDENT                                  # RegistryBuiltin
  | REGISTRY IDENT BY registryKey EFFECTIVE? LBRACE column (COMMA? column)* RBRACE  # RegistryTable
  ;
registryKey : IDENT | ORIGIN ;  // a shipment field or a column name; `origin` is also a keyword
column : IDENT COLON typeRef ;

// ---- 9. origin rules ---------------------------------------------------------------------------
originRule : ORIGIN RULE IDENT STRING? (ON scopeList)? WHEN expr BECOMES expr ;

// ---- 8. measures and how they combine -------------------------------------------------------
measureDecl : MEASURE IDENT STRING? (ON scopeList)? (WHEN expr)? LBRACE stmt* RBRACE ;
scopeList   : IDENT (COMMA IDENT)* ;

stmt
  : LET IDENT (COLON typeRef)? ASSIGN expr                      # StmtLet
  | DUTY STRING? (WHEN expr)? COLON expr                        # StmtDuty
  | outcome=(ADMIT | REFUSE | DETAIN | LICENCE | PROHIBIT) STRING? (WHEN expr)?   # StmtOutcome
  | FLAG STRING (WHEN expr)?                                    # StmtFlag
  ;

// first: only the first measure that applies fires (precedence by order).
// exclusive: the checker proves no shipment can match two of them.
combineBlock : kind=(FIRST | EXCLUSIVE) STRING? LBRACE measureDecl* RBRACE ;

// ---- 10. tariff-rate quotas -------------------------------------------------------------------
// quota co_trq "Art. 9.1" on refined when origin not in members {
//   order: "09.1234"  period: calendar_year  volume: 2000 t  per: export_country
//   in quota { duty: 0 % of value }
//   over quota { duty: 25 % of value }
// }
quotaDecl : QUOTA IDENT STRING? (ON scopeList)? (WHEN expr)? LBRACE quotaItem* RBRACE ;
quotaItem
  : (IDENT | PER) COLON expr                                    # QuotaSetting
  | IN QUOTA LBRACE stmt* RBRACE                                # QuotaIn
  | IDENT QUOTA LBRACE stmt* RBRACE                             # QuotaOver
  ;

// ---- 3. HS classification: `classify 2504 as graphite at concentrate` ------------------------------
// Fills a shipment's mineral (and node) from its HS code when the shipment does not declare them.
classifyDecl : CLASSIFY hsItem (COMMA hsItem)* AS IDENT (AT IDENT)? (WHEN expr)? ;
hsItem : HSCODE | NUMBER ;

// ---- 12. examples ------------------------------------------------------------------------------
exampleDecl : EXAMPLE STRING LBRACE exampleItem* RBRACE ;

exampleItem
  : SHIPMENT LBRACE fieldInit (COMMA? fieldInit)* RBRACE        # ExShipment
  | MARKET LBRACE observation (COMMA? observation)* RBRACE      # ExMarket
  | REGISTRY IDENT LBRACE rowInit* RBRACE                       # ExRegistry
  | EXPECT LBRACE expectation (COMMA? expectation)* RBRACE      # ExExpect
  | QUOTA IDENT LBRACE fieldInit (COMMA? fieldInit)* RBRACE     # ExQuota
  ;

fieldInit   : fieldName COLON expr ;
fieldName   : fieldWord (DOT fieldWord)* ;
fieldWord   : IDENT | ORIGIN | FROM | UNTIL | COUNTRY ;
observation : (IDENT | STRING) DATE COLON expr ;
rowInit     : LBRACE fieldInit (COMMA fieldInit)* RBRACE ;

expectation
  : IDENT COLON expr                                            # ExpectLine
  | NO IDENT                                                    # ExpectNoLine
  | TOTAL COLON expr                                            # ExpectTotal
  | ORIGIN COLON expr                                           # ExpectOrigin
  | OUTCOME COLON outcomeWord STRING?                           # ExpectOutcome
  | FLAG COLON STRING                                           # ExpectFlag
  | ERROR COLON IDENT                                           # ExpectError
  | IN QUOTA IDENT COLON expr                                   # ExpectInQuota
  | IDENT QUOTA IDENT COLON expr                                # ExpectOverQuota
  ;
outcomeWord : ADMIT | REFUSE | DETAIN | LICENCE | PROHIBIT ;

// ---- expressions -------------------------------------------------------------------------------
expr
  : primary                                                     # PrimaryExpr
  | MINUS expr                                                  # NegExpr
  | expr op=(STAR | SLASH | OF) expr                            # MulExpr
  | expr op=(PLUS | MINUS) expr                                 # AddExpr
  | expr NOT? IN expr                                           # InExpr
  | expr op=(LT | LE | GT | GE | EQ | NE) expr                  # CompareExpr
  | NOT expr                                                    # NotExpr
  | expr AND expr                                               # AndExpr
  | expr OR expr                                                # OrExpr
  | expr OTHERWISE expr                                         # OtherwiseExpr
  ;
// Precedence: ANTLR gives earlier alternatives higher precedence, so unary minus binds tightest and
// `otherwise` loosest: `a * b otherwise c` is `(a * b) otherwise c`; `not a and b` is `(not a) and b`.

primary
  : NUMBER unitExpr?                                            # NumberLit
  | HSCODE                                                      # HsLit
  | DATE                                                        # DateLit
  | STRING                                                      # StringLit
  | (TRUE | FALSE)                                              # BoolLit
  | IF expr THEN expr ELSE expr                                 # IfExpr
  | BANDS expr LBRACE band+ RBRACE                              # BandsExpr
  | PROGRESSIVE expr LBRACE band+ RBRACE                        # ProgressiveExpr
  | IDENT LPAREN (expr (COMMA expr)*)? RPAREN                   # CallExpr
  | primary LBRACK expr RBRACK                                  # IndexExpr
  | primary DOT IDENT                                           # FieldExpr
  | (IDENT | ORIGIN | PARTIES)                                  # NameExpr
  | LBRACK (expr (COMMA expr)*)? RBRACK                         # ListExpr
  | LPAREN expr RPAREN                                          # ParenExpr
  ;

quantityLit : NUMBER unitExpr? ;

// One band of a piecewise rule. Bounds: `below X` = (-inf, X); `from A to B` = [A, B);
// `from A through B` = [A, B]; `above A to B` = (A, B); `above A` = (A, inf); `from A` = [A, inf).
band : bandRange COLON expr ;
bandRange
  : BELOW expr                                                  # BandBelow
  | (FROM | ABOVE) expr ((TO | THROUGH) expr)?                  # BandFrom
  ;

// ---- lexer -------------------------------------------------------------------------------------
AGREEMENT : 'agreement' ; COUNTRY : 'country' ; ENUMERATION : 'enumeration' ; VERSION : 'version' ; LEGAL : 'legal' ; CURRENCY : 'currency' ;
ROUNDING : 'rounding' ; TO : 'to' ; PER : 'per' ; ON : 'on' ; IN : 'in' ; FORCE : 'force' ;
FROM : 'from' ; UNTIL : 'until' ; USE : 'use' ; GROUP : 'group' ; PARTIES : 'parties' ;
ATTRIBUTE : 'attribute' ; DEFAULT : 'default' ; ONE : 'one' ; OF : 'of' ; SCOPE : 'scope' ;
AT : 'at' ; WHERE : 'where' ; SERIES : 'series' ; LET : 'let' ; REFERENCE : 'reference' ;
SCHEDULE : 'schedule' ; BEFORE : 'before' ; REGISTRY : 'registry' ; BY : 'by' ;
EFFECTIVE : 'effective' ; ORIGIN : 'origin' ; RULE : 'rule' ; WHEN : 'when' ; BECOMES : 'becomes' ;
MEASURE : 'measure' ; DUTY : 'duty' ; ADMIT : 'admit' ; REFUSE : 'refuse' ; DETAIN : 'detain' ;
LICENCE : 'licence' ; FLAG : 'flag' ; FIRST : 'first' ; EXCLUSIVE : 'exclusive' ; QUOTA : 'quota' ;
EXAMPLE : 'example' ; SHIPMENT : 'shipment' ; MARKET : 'market' ; EXPECT : 'expect' ; NO : 'no' ;
TOTAL : 'total' ; OUTCOME : 'outcome' ; ERROR : 'error' ; ELSE : 'else' ; OTHERWISE : 'otherwise' ; OR : 'or' ; AND : 'and' ;
NOT : 'not' ; IF : 'if' ; THEN : 'then' ; BANDS : 'bands' ; PROGRESSIVE : 'progressive' ;
CLASSIFY : 'classify' ; AS : 'as' ; PROHIBIT : 'prohibit' ;
BELOW : 'below' ; ABOVE : 'above' ; THROUGH : 'through' ; TRUE : 'true' ; FALSE : 'false' ;

LBRACE : '{' ; RBRACE : '}' ; LBRACK : '[' ; RBRACK : ']' ; LPAREN : '(' ; RPAREN : ')' ;
COMMA : ',' ; COLON : ':' ; DOT : '.' ; ASSIGN : '=' ; PLUS : '+' ; MINUS : '-' ; STAR : '*' ;
SLASH : '/' ; PERCENT : '%' ; AMP : '&' ; PIPE : '|' ;
LE : '<=' ; GE : '>=' ; LT : '<' ; GT : '>' ; EQ : '==' ; NE : '!=' ;

DATE   : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT ;
// An HS code with two or more dots (2504.10.00.00); a code with one dot lexes as NUMBER and the
// checker reads its text when an HS code is expected.
HSCODE : DIGIT+ '.' DIGIT+ '.' DIGIT+ ('.' DIGIT+)* ;
NUMBER : DIGIT+ ('.' DIGIT+)? ;
STRING : '"' (~["\\\r\n] | '\\' .)* '"' ;
IDENT  : [a-zA-Z_] [a-zA-Z_0-9]* ;

COMMENT : '#' ~[\r\n]* -> channel(HIDDEN) ;
WS      : [ \t\r\n\u000C]+ -> channel(HIDDEN) ;
BOM     : '\uFEFF' -> channel(HIDDEN) ;
// Anything else becomes one token so the parser reports it where it stands, in our words.
UNKNOWN : . ;

fragment DIGIT : [0-9] ;
