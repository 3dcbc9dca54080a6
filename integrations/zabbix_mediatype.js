// alertdesk webhook media type for Zabbix 6.0 and later.
//
// Media type parameters (Administration → Media types → alertdesk → Parameters):
//   URL                  this integration's URL, e.g. https://alertdesk.example.com/api/v1/integrations/7
//   Token                this integration's token (leave empty when URL is the secret URL)
//   HTTPProxy            optional proxy for the request
//   event_id             {EVENT.ID}
//   event_value          {EVENT.VALUE}            1 = problem, 0 = recovery
//   event_severity       {EVENT.SEVERITY}
//   event_nseverity      {EVENT.NSEVERITY}
//   event_date           {EVENT.DATE}
//   event_time           {EVENT.TIME}
//   event_recovery_date  {EVENT.RECOVERY.DATE}
//   event_recovery_time  {EVENT.RECOVERY.TIME}
//   event_tags           {EVENT.TAGSJSON}
//   event_opdata         {EVENT.OPDATA}
//   trigger_id           {TRIGGER.ID}
//   trigger_name         {TRIGGER.NAME}
//   host_name            {HOST.NAME}
//   host_ip              {HOST.IP}
//   item_value           {ITEM.LASTVALUE}
//   zabbix_url           {$ZABBIX.URL}
//   subject              {ALERT.SUBJECT}
//   message              {ALERT.MESSAGE}
//
// The script posts every parameter except URL, Token and HTTPProxy as one JSON object.
// Macros Zabbix could not resolve for this event (a problem has no recovery date yet)
// arrive as their own name in braces and are left out, so the console never mistakes
// "{EVENT.RECOVERY.DATE}" for a date.

var Alertdesk = {
    unresolved: /^\{[A-Z0-9_.$]+\}$/,

    payload: function (params) {
        var body = {};
        Object.keys(params).forEach(function (key) {
            if (key === 'URL' || key === 'Token' || key === 'HTTPProxy') {
                return;
            }
            var value = params[key];
            if (typeof value !== 'string' || value === '' || Alertdesk.unresolved.test(value)) {
                return;
            }
            body[key] = value;
        });
        return body;
    },

    send: function (params) {
        if (typeof params.URL !== 'string' || params.URL.indexOf('http') !== 0) {
            throw 'alertdesk: the URL parameter must be the integration URL (http:// or https://)';
        }
        var request = new HttpRequest();
        request.addHeader('Content-Type: application/json');
        if (typeof params.Token === 'string' && params.Token !== '' && !Alertdesk.unresolved.test(params.Token)) {
            request.addHeader('Authorization: Bearer ' + params.Token);
        }
        if (typeof params.HTTPProxy === 'string' && params.HTTPProxy !== '') {
            request.setProxy(params.HTTPProxy);
        }
        var body = JSON.stringify(Alertdesk.payload(params));
        Zabbix.log(4, '[alertdesk] sending event ' + params.event_id);
        var response = request.post(params.URL, body);
        var status = request.getStatus();
        if (status < 200 || status >= 300) {
            // The console answers JSON naming the refused field; show it in Zabbix's
            // action log. 5xx and 429 are worth a retry, so they throw too.
            var reason = response;
            try {
                reason = JSON.parse(response).error || response;
            } catch (e) {
                // not JSON: keep the raw text
            }
            throw 'alertdesk answered HTTP ' + status + ': ' + reason;
        }
        return 'OK';
    }
};

try {
    return Alertdesk.send(JSON.parse(value));
} catch (error) {
    Zabbix.log(3, '[alertdesk] ' + error);
    throw 'alertdesk: ' + error;
}
