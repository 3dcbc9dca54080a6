package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/views"
)

func (s *Server) dashboard(c echo.Context) error {
	return render(c, http.StatusOK, views.ComingPage(s.page(c, "Dashboard", "dashboard"), "The dashboard"))
}
