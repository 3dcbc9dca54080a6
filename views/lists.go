package views

import (
	"net/url"
	"strconv"
)

// ListState is where a searchable, sortable, paged list stands; its URLs carry all of it,
// so a list can be bookmarked, shared and reloaded as it is.
type ListState struct {
	Base    string     // the list's path, e.g. "/contacts"
	Target  string     // the element htmx swaps with the results, e.g. "#contacts-table"
	Form    string     // id of the list's filter form, which the hidden sort inputs join
	Params  url.Values // search and filters in force (not sort, direction or page)
	Sort    string     // the sort key in force, "" = the list's default order
	Desc    bool
	Page    int // 1-based
	PerPage int
	Total   int // rows matching the search and filters
}

// query is the URL of the list with the given sort and page.
func (s ListState) query(sort string, desc bool, page int) string {
	v := url.Values{}
	for k, vs := range s.Params {
		for _, x := range vs {
			if x != "" {
				v.Add(k, x)
			}
		}
	}
	if sort != "" {
		v.Set("sort", sort)
		if desc {
			v.Set("dir", "desc")
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return s.Base
	}
	return s.Base + "?" + v.Encode()
}

// SortURL sorts by key: ascending first, the other way round when it is already in force.
func (s ListState) SortURL(key string) string {
	return s.query(key, s.Sort == key && !s.Desc, 1)
}

// PageURL is page n with the same search, filters and sort.
func (s ListState) PageURL(n int) string { return s.query(s.Sort, s.Desc, n) }

// Pages is the number of pages.
func (s ListState) Pages() int {
	if s.PerPage <= 0 || s.Total <= 0 {
		return 1
	}
	return (s.Total + s.PerPage - 1) / s.PerPage
}

// First and Last are the 1-based positions of the page's first and last rows.
func (s ListState) First() int {
	if s.Total == 0 {
		return 0
	}
	return (s.Page-1)*s.PerPage + 1
}

func (s ListState) Last() int { return min(s.Page*s.PerPage, s.Total) }

// Filtered reports whether a search or filter is in force.
func (s ListState) Filtered() bool {
	for _, vs := range s.Params {
		for _, x := range vs {
			if x != "" {
				return true
			}
		}
	}
	return false
}

// Get is a filter's value.
func (s ListState) Get(name string) string { return s.Params.Get(name) }

func (s ListState) ariaSort(key string) string {
	switch {
	case s.Sort != key:
		return "none"
	case s.Desc:
		return "descending"
	default:
		return "ascending"
	}
}

func (s ListState) arrow(key string) string {
	switch {
	case s.Sort != key:
		return ""
	case s.Desc:
		return " ↓"
	default:
		return " ↑"
	}
}

func (s ListState) dir() string {
	if s.Desc {
		return "desc"
	}
	return ""
}
