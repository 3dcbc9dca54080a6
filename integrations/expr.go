package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// MaxExprBytes bounds one mapping expression.
const MaxExprBytes = 2000

// forbidden are the jq functions a mapping may not call: the unbounded generators and
// loops (a mapping reads one payload, it never needs to count to a billion), the ones
// that reach outside the payload, and the ones that stop the program.
var forbidden = map[string]string{
	"range": "unbounded generators are not available", "repeat": "loops are not available",
	"while": "loops are not available", "until": "loops are not available",
	"recurse": "recursion is not available", "combinations": "combinations are not available",
	"env": "the environment is not available", "$ENV": "the environment is not available",
	"input": "other inputs are not available", "inputs": "other inputs are not available",
	"debug": "debug output is not available", "stderr": "debug output is not available",
	"input_filename": "other inputs are not available", "$__loc__": "$__loc__ is not available",
	"halt": "halt is not available", "halt_error": "halt is not available",
}

// expr is one compiled jq expression. It runs with "." bound to the alert being built,
// $body to the whole payload and $now to the time of receipt (seconds since 1970; jq's
// own now is the machine clock, $now is the one tests and "Try it" control).
type expr struct {
	src  string
	code *gojq.Code
}

// compileExpr parses and checks a jq expression; "" compiles to nil (field not mapped).
// Besides the forbidden functions, function definitions, reduce, foreach and
// multiplication are refused: they are how a short expression builds an enormous
// value, and a mapping does not need them (map, select, to_entries, from_entries and
// string interpolation cover what payloads need).
func compileExpr(src string) (*expr, error) {
	src = strings.TrimSpace(src)
	if src == "" {
		return nil, nil
	}
	if len(src) > MaxExprBytes {
		return nil, fmt.Errorf("is %d bytes; a mapping expression may have at most %d", len(src), MaxExprBytes)
	}
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("is not a valid jq expression: %v", err)
	}
	if err := checkQuery(reflect.ValueOf(q)); err != nil {
		return nil, err
	}
	code, err := gojq.Compile(q, gojq.WithVariables([]string{"$body", "$now"}))
	if err != nil {
		return nil, fmt.Errorf("does not compile: %v", err)
	}
	return &expr{src: src, code: code}, nil
}

// checkQuery walks gojq's syntax tree looking for what compileExpr refuses.
func checkQuery(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		switch n := v.Interface().(type) {
		case *gojq.FuncDef:
			return errors.New("may not define functions")
		case *gojq.Reduce:
			return errors.New("may not use reduce")
		case *gojq.Foreach:
			return errors.New("may not use foreach")
		case *gojq.Func:
			if why, bad := forbidden[n.Name]; bad {
				return fmt.Errorf("may not call %s: %s", n.Name, why)
			}
		case *gojq.Query:
			if n.Op == gojq.OpMul || n.Op == gojq.OpUpdateMul {
				return errors.New("may not multiply (use / to scale numbers down, or the time_format field for timestamps)")
			}
		}
		return checkQuery(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if err := checkQuery(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if err := checkQuery(v.Index(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// vars are the jq variables every expression of one payload sees.
type vars struct {
	body any
	now  float64
}

// all runs the expression and returns every value it yields (at most limit; more is an error).
func (e *expr) all(ctx context.Context, in any, v vars, limit int) ([]any, error) {
	iter := e.code.RunWithContext(ctx, in, v.body, v.now)
	var out []any
	for {
		v, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, isErr := v.(error); isErr {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return nil, errors.New("took too long and was stopped")
			}
			return nil, fmt.Errorf("failed: %v", err)
		}
		if len(out) == limit {
			return nil, fmt.Errorf("yields more than %d values", limit)
		}
		out = append(out, v)
	}
}

// first runs the expression and returns its first value (nil when it yields none).
func (e *expr) first(ctx context.Context, in any, v vars) (any, error) {
	if e == nil {
		return nil, nil
	}
	iter := e.code.RunWithContext(ctx, in, v.body, v.now)
	out, ok := iter.Next()
	if !ok {
		return nil, nil
	}
	if err, isErr := out.(error); isErr {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil, errors.New("took too long and was stopped")
		}
		return nil, fmt.Errorf("failed: %v", err)
	}
	return out, nil
}

// text runs the expression and turns its first value into a string: "" for none or null.
func (e *expr) text(ctx context.Context, in any, v vars) (string, error) {
	out, err := e.first(ctx, in, v)
	if err != nil {
		return "", err
	}
	return toText(out), nil
}

// toText renders a jq value as label text: strings as they are, whole numbers without a
// fraction, objects and arrays as JSON.
func toText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
