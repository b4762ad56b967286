"""Sign-in and registration forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from formkit import clean_filter


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password"), Length(max=128)]
    )
    remember = BooleanField("Keep me signed in on this device")


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Full name",
        filters=[clean_filter],
        validators=[DataRequired("Enter your full name"), Length(max=120)],
    )
    email = EmailField(
        "Email address",
        # Strip before the format check, as sign-in does: a pasted or
        # autocompleted address often ends in a space.
        filters=[clean_filter],
        validators=[
            DataRequired("Enter your email address"),
            Email(
                "Enter an email address in the correct format, like name@example.org",
                check_deliverability=False,
            ),
            Length(max=254),
        ],
    )
    password = PasswordField(
        "Create a password",
        description="At least 8 characters. A few unrelated words make a strong password.",
        validators=[DataRequired("Create a password"), Length(max=128)],
    )
